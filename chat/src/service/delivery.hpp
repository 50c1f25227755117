// Sending frames to sessions, and the service's traffic counters. Any thread; no service lock
// needed (Connection::send takes only the connection's own lock).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chat/codec.hpp"
#include "session.hpp"

namespace chat::detail {

struct TrafficCounters {
    std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0};
    void count_out(std::uint64_t frames, std::uint64_t bytes) {
        frames_out.fetch_add(frames, std::memory_order_relaxed);
        bytes_out.fetch_add(bytes, std::memory_order_relaxed);
    }
};

// False if dropped: the connection is closing, or went over max_send_queue and aborts.
// `frame` may hold several whole frames (`frames` of them), sent in one piece.
bool send_frame(Session& s, std::span<const std::byte> frame, TrafficCounters& traffic,
                std::uint64_t frames = 1);
void send_message(Session& s, const AnyMessage& msg, TrafficCounters& traffic);
void send_error(Session& s, ErrorCode code, std::uint16_t in_reply_to, std::string detail,
                TrafficCounters& traffic);
inline void send_error(Session& s, ErrorCode code, MsgType in_reply_to, std::string detail,
                       TrafficCounters& traffic) {
    send_error(s, code, static_cast<std::uint16_t>(in_reply_to), std::move(detail), traffic);
}
// One frame to many sessions (`except` left out), counted once for the service.
void send_to_all(const std::vector<Session*>& to, std::span<const std::byte> frame,
                 TrafficCounters& traffic, const Session* except = nullptr);

}  // namespace chat::detail
