// Connections opening and closing, and the transitions that end a session.
#include <spdlog/spdlog.h>

#include "log_throttle.hpp"
#include "service_core.hpp"

namespace chat::detail {
namespace {

void refuse(netcore::Connection& conn, const AnyMessage& why) {
    Bytes frame;
    encode(frame, why);
    conn.send(frame);
    conn.close();
}

// Refusals come in floods when someone is at it: one line per reason every 10 s at most.
void log_refusal(Verdict verdict, const netcore::Connection& conn, const std::string& detail) {
    const char* reason = verdict == Verdict::AddressFull      ? "too many from this address"
                         : verdict == Verdict::HandshakesFull ? "too many handshakes"
                                                              : "server full";
    static LogThrottle server_full{std::chrono::seconds(10)}, per_address{std::chrono::seconds(10)},
        handshakes{std::chrono::seconds(10)};
    LogThrottle& throttle = verdict == Verdict::AddressFull      ? per_address
                            : verdict == Verdict::HandshakesFull ? handshakes
                                                                 : server_full;
    std::uint64_t held_back = 0;
    if (!throttle.allow(held_back)) return;
    if (held_back)
        spdlog::warn(
            "refused {} session {} ({}): {} ({} more refused for this reason since the last "
            "line)",
            conn.peer(), conn.id(), reason, detail, held_back);
    else
        spdlog::warn("refused {} session {} ({}): {}", conn.peer(), conn.id(), reason, detail);
}

}  // namespace

void ServiceCore::open(const netcore::ConnectionPtr& conn) {
    Admission admission = sessions.admit(conn);
    switch (admission.verdict) {
        case Verdict::Admitted:
            conn->set_context(admission.session.get());
            spdlog::info("connect {} session {}", conn->peer(), conn->id());
            return;
        case Verdict::ShuttingDown:  // a client reconnecting into the shutdown grace
            spdlog::info("refused {} session {} (shutting down)", conn->peer(), conn->id());
            return refuse(*conn, Bye{admission.detail});
        case Verdict::ServerFull:
            refused.server_full.fetch_add(1, std::memory_order_relaxed);
            break;
        case Verdict::AddressFull:
            refused.per_address.fetch_add(1, std::memory_order_relaxed);
            break;
        case Verdict::HandshakesFull:
            refused.handshakes.fetch_add(1, std::memory_order_relaxed);
            break;
    }
    log_refusal(admission.verdict, *conn, admission.detail);
    refuse(*conn, Error{ErrorCode::ServerFull, 0, admission.detail});
}

void ServiceCore::close(netcore::Connection& conn, netcore::CloseReason reason) {
    if (!session_of(conn)) return;                    // refused at open
    const SessionPtr s = sessions.remove(conn.id());  // outlives the reader scope below
    if (!s) return;
    const ReaderCheck::Scope reader(s->reader);
    // A TLS failure says which ("TLS failed: certificate unknown"): the operator's first clue.
    const std::string tls_error = conn.tls_error();
    const std::string why =
        netcore::to_string(reason) + (tls_error.empty() ? std::string() : ": " + tls_error);
    if (s->nick.empty())
        spdlog::info("disconnect {} session {} before login: {}", conn.peer(), conn.id(), why);
    else
        spdlog::info("logout {} session {} nick {}: {}", conn.peer(), conn.id(), s->nick, why);
    {
        const Lock lock(s->mutex);
        begin_closing(*s, ExitCause::Disconnected);
    }
    conn.set_context<Session>(nullptr);
}

void ServiceCore::begin_closing(Session& s, ExitCause cause) {
    s.mutex.assert_held();
    const SessionState was = s.state.load(std::memory_order_acquire);
    if (was == SessionState::Closing) return;
    while (!s.rooms.empty()) leave(s, s.rooms.back(), cause);  // leave() takes its own copy
    for (const RoomPtr& room : s.leaving) {  // asked to leave, not yet out (a cluster)
        {
            const Lock lock = room->lock();
            room->drop_local(&s);
        }
        if (room->retired()) rooms.forget(*room);
    }
    s.leaving.clear();
    if (!s.nick_key.empty()) {
        nicks.release(s.nick_key, &s);
        if (cluster) cluster->release_nick(s.nick_key, s.nick);  // after its leaves, in order
    }
    if (was == SessionState::Handshake) sessions.handshake_finished();
    s.state.store(SessionState::Closing, std::memory_order_release);  // Handshake/Active -> Closing
}

void ServiceCore::end_session(Session& s, const AnyMessage* last_words, ExitCause cause) {
    s.mutex.assert_held();
    // Out of every room first, so nothing of theirs follows the last words.
    begin_closing(s, cause);
    if (last_words) send_message(s, *last_words, traffic);
    s.conn->close();  // what was queued still goes out first
}

Published ServiceCore::leave(Session& s, RoomPtr room, ExitCause cause) {
    // `room` by value: it is also an element of s.rooms, erased below.
    s.mutex.assert_held();
    const Published published = order->publish(*room, Exited{s.nick, cause}, &s);
    if (published == Published::Unavailable && cause == ExitCause::Asked) return published;
    std::erase(s.rooms, room);
    if (cluster && cause == ExitCause::Asked) {
        // Still delivered to until the cluster orders the leave: kept for begin_closing, with
        // the rooms whose leaves are done dropped.
        std::erase_if(s.leaving, [&s](const RoomPtr& r) {
            const Lock lock = r->lock();
            return !r->is_leaving(&s);
        });
        s.leaving.push_back(room);
    }
    if (room->retired()) rooms.forget(*room);
    return published;
}

}  // namespace chat::detail
