// Every session of this server by connection id, and the admission limits counted over them:
// --max-sessions, --max-per-address (loopback exempt unless --limit-loopback) and
// --max-handshakes (sessions not yet past HELLO). Its lock (rank SessionTable) is a leaf:
// nothing else is taken under it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat/service.hpp"
#include "session.hpp"

namespace chat::detail {

enum class Verdict { Admitted, ShuttingDown, ServerFull, AddressFull, HandshakesFull };

struct Admission {
    Verdict verdict = Verdict::Admitted;
    SessionPtr session;  // set when admitted
    std::string detail;  // why not, for the ERROR server_full and the log
};

class SessionTable {
  public:
    explicit SessionTable(const ServiceConfig& config);

    // A reload: the admission limits from now on. Sessions already in stay, whatever the new
    // limits say; a session counts against --max-per-address as it was admitted.
    void set_limits(const ServiceConfig& config);

    // Creates and registers the session of a new connection, or says why it must be refused.
    Admission admit(const netcore::ConnectionPtr& conn);
    // The connection closed: forgets the session and frees its address slot.
    SessionPtr remove(std::uint64_t id);
    // A session left the Handshake state (to Active or Closing): frees its handshake slot.
    void handshake_finished();

    // From now on admit() says ShuttingDown; returns every session.
    std::vector<SessionPtr> begin_shutdown();
    // The sessions `pred` picks; `pred` runs under the table's lock (it must take no other).
    template <class Pred>
    std::vector<SessionPtr> select(Pred pred) const {
        const Lock lock(mutex_);
        std::vector<SessionPtr> out;
        for (const auto& [id, s] : sessions_)
            if (pred(*s)) out.push_back(s);
        return out;
    }
    std::size_t size() const;

  private:
    mutable RankedMutex mutex_{LockRank::SessionTable};
    std::size_t max_sessions_, max_per_address_, max_handshakes_;  // under mutex_
    bool limit_loopback_;
    std::unordered_map<std::uint64_t, SessionPtr> sessions_;
    std::unordered_map<std::string, std::size_t> per_address_;  // counted sessions by host
    std::size_t handshaking_ = 0;
    bool shutting_down_ = false;
};

}  // namespace chat::detail
