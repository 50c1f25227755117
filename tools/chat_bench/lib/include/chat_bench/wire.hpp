// Byte-level helpers for the load generator's hot paths: it builds ECHO and SAY frames and
// reads MESSAGE frames without the codec's std::string-per-field decode (chat::decode is
// still used for the rare frames: WELCOME, JOINED, ERROR).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "chat/protocol.hpp"

namespace chat_bench {

using Bytes = std::vector<std::byte>;

inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

inline std::uint16_t get_u16(const std::byte* p) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                      (std::to_integer<unsigned>(p[1]) << 8));
}
inline std::uint64_t get_u64(const std::byte* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}
inline void put_u16(std::byte* p, std::uint16_t v) {
    p[0] = static_cast<std::byte>(v & 0xff);
    p[1] = static_cast<std::byte>(v >> 8);
}
inline void put_u64(std::byte* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

// Appends a frame header for a frame of `size` bytes (header included); returns where its
// body starts in `out`.
inline std::size_t append_header(Bytes& out, std::size_t size, chat::MsgType type) {
    const std::size_t at = out.size();
    out.resize(at + size);
    put_u16(out.data() + at, static_cast<std::uint16_t>(size));
    put_u16(out.data() + at + 2, static_cast<std::uint16_t>(type));
    return at + chat::kHeaderSize;
}

// The fields of a MESSAGE body, as views into the received bytes.
struct MessageView {
    std::string_view room;
    std::uint64_t seq = 0;
    std::uint64_t server_time_us = 0;
    std::string_view from;
    std::string_view text;
};
std::optional<MessageView> parse_message(std::span<const std::byte> body);

// A SAY frame whose text carries the send time, padded to `text_bytes` (>= 24) so delivery
// latency can be read back from the MESSAGE: "t=<ns in hex> pad...".
void append_timed_say(Bytes& out, std::string_view room, std::size_t text_bytes,
                      std::uint64_t sent_ns);
// The send time a timed SAY's text carries; nullopt for other texts.
std::optional<std::uint64_t> timed_text_ns(std::string_view text);

}  // namespace chat_bench
