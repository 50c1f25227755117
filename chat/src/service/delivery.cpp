#include "delivery.hpp"

namespace chat::detail {

bool send_frame(Session& s, std::span<const std::byte> frame, TrafficCounters& traffic,
                std::uint64_t frames) {
    if (!s.conn->send(frame)) return false;
    s.frames_out.fetch_add(frames, std::memory_order_relaxed);
    traffic.count_out(frames, frame.size());
    return true;
}

void send_message(Session& s, const AnyMessage& msg, TrafficCounters& traffic) {
    Bytes frame;
    encode(frame, msg);
    send_frame(s, frame, traffic);
}

void send_error(Session& s, ErrorCode code, std::uint16_t in_reply_to, std::string detail,
                TrafficCounters& traffic) {
    send_message(s, Error{code, in_reply_to, std::move(detail)}, traffic);
}

void send_to_all(const std::vector<Session*>& to, std::span<const std::byte> frame,
                 TrafficCounters& traffic, const Session* except) {
    std::uint64_t sent = 0;
    for (Session* s : to) {
        if (s == except || !s->conn->send(frame)) continue;
        s->frames_out.fetch_add(1, std::memory_order_relaxed);
        ++sent;
    }
    // Once per broadcast: rooms deliver in parallel, and a shared counter bumped per member
    // would bounce its cache line between every core doing so.
    if (sent) traffic.count_out(sent, sent * frame.size());
}

}  // namespace chat::detail
