// The timer thread's sweep: sessions that never said HELLO or went silent are told why and
// closed; addresses whose wrong passwords are long past are forgotten.
#include "service_core.hpp"

namespace chat::detail {
namespace {

bool expired(const Session& s, SessionState state, Clock::time_point now,
             const ServiceConfig& config) {
    if (state == SessionState::Handshake)
        return now - s.conn->opened_at() > config.handshake_timeout;
    if (state == SessionState::Active)
        return now - Clock::time_point(Clock::duration(s.last_rx.load(std::memory_order_relaxed))) >
               config.idle_timeout;
    return false;
}

}  // namespace

void ServiceCore::sweep(Clock::time_point now) {
    passwords.forget_quiet(now);
    const auto due = sessions.select([&](const Session& s) {
        return expired(s, s.state.load(std::memory_order_acquire), now, config);
    });
    for (const SessionPtr& s : due) {
        const Lock lock(s->mutex);
        const SessionState state = s->state.load(std::memory_order_acquire);
        if (!expired(*s, state, now, config)) continue;  // logged in or spoke meanwhile
        const AnyMessage timeout =
            Error{ErrorCode::Timeout, 0,
                  state == SessionState::Handshake ? "no HELLO in time" : "idle for too long"};
        end_session(*s, &timeout);
    }
}

}  // namespace chat::detail
