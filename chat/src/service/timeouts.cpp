// The timer thread's sweep: sessions that never said HELLO or went silent are told why and
// closed; addresses whose wrong passwords are long past are forgotten.
#include "service_core.hpp"

namespace chat::detail {
namespace {

// The timeouts as the last reload left them.
struct Timeouts {
    Clock::duration handshake, idle;
};

bool expired(const Session& s, SessionState state, Clock::time_point now, const Timeouts& t) {
    if (state == SessionState::Handshake) return now - s.conn->opened_at() > t.handshake;
    if (state == SessionState::Active)
        return now - Clock::time_point(Clock::duration(s.last_rx.load(std::memory_order_relaxed))) >
               t.idle;
    return false;
}

}  // namespace

void ServiceCore::sweep(Clock::time_point now) {
    passwords.forget_quiet(now);
    protocol_errors.flush(now);
    const Timeouts timeouts{Clock::duration(handshake_timeout.load(std::memory_order_relaxed)),
                            Clock::duration(idle_timeout.load(std::memory_order_relaxed))};
    const auto due = sessions.select([&](const Session& s) {
        return expired(s, s.state.load(std::memory_order_acquire), now, timeouts);
    });
    for (const SessionPtr& s : due) {
        const Lock lock(s->mutex);
        const SessionState state = s->state.load(std::memory_order_acquire);
        if (!expired(*s, state, now, timeouts)) continue;  // logged in or spoke meanwhile
        const AnyMessage timeout =
            Error{ErrorCode::Timeout, 0,
                  state == SessionState::Handshake ? "no HELLO in time" : "idle for too long"};
        end_session(*s, &timeout);
    }
}

}  // namespace chat::detail
