// Encoding and decoding of frames: u16 size, u16 type, body (all little-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "chat/messages.hpp"

namespace chat {

using Bytes = std::vector<std::byte>;

// Appends one frame to `out`, never more than kMaxFrame bytes. Lists that would overflow a
// frame (a huge room's members, a crowded board) are cut to the items that fit. A message
// whose strings would overflow it (no valid one does) has its longest strings cut, at a UTF-8
// character boundary, so that every other field still arrives intact.
void encode(Bytes& out, const AnyMessage& msg);
template <class T>
Bytes encode(const T& msg) {
    Bytes out;
    encode(out, AnyMessage(msg));
    return out;
}

struct FrameHeader {
    std::uint16_t size = 0;
    std::uint16_t type = 0;
};
inline FrameHeader read_header(const std::byte* p) {
    return {static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                       (std::to_integer<unsigned>(p[1]) << 8)),
            static_cast<std::uint16_t>(std::to_integer<unsigned>(p[2]) |
                                       (std::to_integer<unsigned>(p[3]) << 8))};
}

// Decodes a body of the given type. On failure returns the protocol's error code
// (unknown_type, malformed, bad_utf8, too_long) and leaves `out` unspecified.
ErrorCode decode(std::uint16_t type, std::span<const std::byte> body, AnyMessage& out);

// The message type of a decoded message.
MsgType type_of(const AnyMessage& msg);

}  // namespace chat
