// One client session: its connection, state, nick and rooms.
//
// Who touches what:
// - `mutex` (rank Session) guards every state transition, `nick`/`nick_key` while they are
//   written, and `rooms`. Membership changes of a session happen only with it held.
// - `nick` is written once, before the state becomes Active (a release store), and never
//   changes after: whoever saw Active (an acquire load) or found the session in the nick
//   registry may read it without the lock.
// - The "reader" fields are touched only by the engine thread running on_data for this
//   connection; netcore never overlaps handler calls for one connection (checked by `reader`).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chat/codec.hpp"
#include "chat/service.hpp"
#include "netcore/connection.hpp"
#include "thread_checks.hpp"

namespace chat::detail {

using Clock = std::chrono::steady_clock;

class Room;
using RoomPtr = std::shared_ptr<Room>;

// Token bucket: `rate` per second with one second of burst.
class RateLimiter {
  public:
    bool take(double rate, Clock::time_point now) {
        if (rate <= 0) return true;
        const double burst = std::max(1.0, rate);
        if (tokens_ < 0) tokens_ = burst, refilled_ = now;  // the first call: a full burst
        tokens_ = std::min(burst,
                           tokens_ + rate * std::chrono::duration<double>(now - refilled_).count());
        refilled_ = now;
        if (tokens_ < 1) return false;
        tokens_ -= 1;
        return true;
    }

  private:
    double tokens_ = -1;
    Clock::time_point refilled_{};
};

struct Session : std::enable_shared_from_this<Session> {
    Session(netcore::ConnectionPtr connection, std::string host, bool counted)
        : conn(std::move(connection)), address(std::move(host)), counted_address(counted) {}

    const netcore::ConnectionPtr conn;
    const std::string address;   // the peer's host: the key of the per-address limits
    const bool counted_address;  // holds one of its address' --max-per-address slots

    mutable RankedMutex mutex{LockRank::Session};
    std::atomic<SessionState> state{SessionState::Handshake};
    std::string nick, nick_key;  // see above; nick_key is the folded nick
    std::vector<RoomPtr> rooms;  // under mutex, in join order
    // Under mutex: rooms this session asked to leave whose leave a cluster has not put in the
    // room's order yet; the session is still in their local delivery until it has, so a
    // disconnect meanwhile must take it out of them too (begin_closing).
    std::vector<RoomPtr> leaving;

    std::atomic<Clock::rep> last_rx{Clock::now().time_since_epoch().count()};
    std::atomic<std::uint64_t> frames_in{0}, frames_out{0};

    // While a cluster checks the nick of its HELLO, the frames after it wait here, in order,
    // and run once the answer is in (a client may send JOIN right behind HELLO). Under
    // input_mutex, which read() holds while it handles frames.
    mutable RankedMutex input_mutex{LockRank::Input};
    bool login_pending = false;
    Bytes held_input;

    // Reader fields (see above).
    ReaderCheck reader;
    Bytes replies;  // ECHO and PONG answers, written once per batch of input
    RateLimiter rate;

    bool is_active() const { return state.load(std::memory_order_acquire) == SessionState::Active; }
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace chat::detail
