// The inside of ChatService: its parts and the steps they share. One file per job:
//   lifecycle.cpp        connections opening and closing, the Closing transition, leaving rooms
//   frames.cpp           on_data: splitting frames, the lock-free ECHO and PING paths, decoding
//   dispatch.cpp         one handler per client message, chosen with std::visit
//   operator_actions.cpp kick, notice, shutdown
//   snapshots.cpp        sessions(), rooms(), totals()
//   timeouts.cpp         the timer thread's sweep: handshake and idle timeouts
//
// Lock order (checked by RankedMutex in checked builds, see thread_checks.hpp):
//   Session -> Room -> History | RoomDirectory | Nicks | SessionTable | Addresses | Timers | Hooks
//   | LogThrottle
// A thread holds at most one session lock and at most one room lock. The locks after Room are
// leaves: nothing is taken while holding one. Connection::send (netcore's own lock) may be
// called under any of them; netcore never calls back into the service from it.
//
// Threads: engine threads call on_open/on_data/on_close (never two at once for one
// connection); the timer thread runs the sweep and held answers; operator threads (stdin, the
// window's controller) call kick/notice/shutdown and the snapshots. Any of them may publish to
// any room.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "address_log_throttle.hpp"
#include "chat/service.hpp"
#include "cluster_seam.hpp"
#include "delivery.hpp"
#include "history_store.hpp"
#include "nick_registry.hpp"
#include "password_guard.hpp"
#include "room_directory.hpp"
#include "room_order.hpp"
#include "service_timers.hpp"
#include "session_table.hpp"

namespace chat::detail {

struct RefusalCounters {
    std::atomic<std::uint64_t> server_full{0}, per_address{0}, handshakes{0}, bad_password{0};
    std::atomic<std::uint64_t> by_engine{0};  // turned away before a session (refusal())
};

class ServiceCore {
  public:
    explicit ServiceCore(ServiceConfig config);
    ~ServiceCore();

    // ---- connection events (lifecycle.cpp, frames.cpp) ----
    void open(const netcore::ConnectionPtr& conn);
    std::size_t read(netcore::Connection& conn, std::span<const std::byte> data);
    void close(netcore::Connection& conn, netcore::CloseReason reason);

    // ---- transitions (lifecycle.cpp); the session's lock held ----
    // Handshake/Active -> Closing: leaves every room, frees the nick and the handshake slot.
    void begin_closing(Session& s, ExitCause cause);
    // Ends a session: begin_closing, then `last_words` (if any), then a graceful close.
    void end_session(Session& s, const AnyMessage* last_words,
                     ExitCause cause = ExitCause::Disconnected);
    // Leaves one room. Only an asked-for leave can fail (Unavailable: still a member).
    Published leave(Session& s, RoomPtr room, ExitCause cause);

    // A HELLO whose nick the cluster has answered for (link thread): WELCOME or the refusal,
    // then the frames that waited behind it (dispatch.cpp).
    void finish_login(Session& s, ClaimOutcome outcome);
    // The frames held while the login was checked (frames.cpp).
    void release_held_input(Session& s);

    // ---- operator actions (operator_actions.cpp) ----
    // On this node, or (in a cluster) on whichever node has the nick.
    bool kick(const std::string& nick, const std::string& reason);
    bool kick_local(const std::string& nick_key, const std::string& reason);
    bool notice(const std::string& text);        // every node's sessions
    void notice_local(const std::string& text);  // this node's
    // Joins the cluster as `node` (no-op when alone).
    void start_cluster(const std::string& node);
    void shutdown(const std::string& reason);

    // ---- snapshots (snapshots.cpp) ----
    std::vector<SessionInfo> session_infos() const;
    std::vector<RoomInfo> room_infos() const;
    ServiceTotals totals() const;

    void set_engine_name_source(std::function<std::string()> source);
    std::string engine_name() const;
    // --name: WELCOME's server name, which a reload may change.
    std::string server_name() const;
    // A reload (SIGHUP, /rehash): takes what can change live (password, name, the limits and
    // timeouts) and says what changed; a setting that needs a restart is named as such.
    std::vector<std::string> reload(const ServiceConfig& fresh);

    // ---- timeouts (timeouts.cpp), on the timer thread ----
    void sweep(Clock::time_point now);

    const ServiceConfig config;
    const Clock::time_point started = Clock::now();
    TrafficCounters traffic;
    RefusalCounters refused;
    SessionTable sessions;
    NickRegistry nicks;
    std::unique_ptr<HistoryStore> history;  // before the rooms and the order, which use it
    RoomDirectory rooms;
    std::unique_ptr<RoomOrder> local_order;  // alone
    std::unique_ptr<Cluster> cluster;        // a cluster's node, or null alone
    RoomOrder* order;                        // local_order's or cluster's
    PasswordGuard passwords;
    AddressLogThrottle protocol_errors{"protocol errors"};  // their log lines, per address
    // What a reload changes while sessions run (the admission limits are the table's).
    std::atomic<double> rate_limit;                           // --rate-limit
    std::atomic<std::size_t> max_frame;                       // --max-frame
    std::atomic<Clock::rep> handshake_timeout, idle_timeout;  // Clock::duration counts
    ServiceTimers timers;                                     // started last, stopped first

  private:
    mutable RankedMutex hooks_mutex_{LockRank::Hooks};
    std::function<std::string()> engine_name_;
    std::string server_name_;  // under hooks_mutex_
    static std::chrono::milliseconds sweep_period(const ServiceConfig& c);

    std::mutex reload_mutex_;  // one reload at a time; taken before any other lock
    std::string current_password_ = config.password;  // under reload_mutex_
    ServiceConfig live_ = config;  // the limits as the last reload left them; under reload_mutex_
};

// The session a connection belongs to (null for one refused at open).
inline Session* session_of(netcore::Connection& conn) {
    return conn.context<Session>();
}

// Dispatches one decoded client message (dispatch.cpp).
void dispatch(ServiceCore& core, Session& s, AnyMessage& msg);

}  // namespace chat::detail
