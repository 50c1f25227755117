#include "chat_bench/wire.hpp"

#include <algorithm>
#include <charconv>

namespace chat_bench {
namespace {

// Reads a protocol `str` at `pos`; false when it runs past the end.
bool read_str(std::span<const std::byte> body, std::size_t& pos, std::string_view& out) {
    if (pos + 2 > body.size()) return false;
    const std::size_t len = get_u16(body.data() + pos);
    pos += 2;
    if (pos + len > body.size()) return false;
    out = std::string_view(reinterpret_cast<const char*>(body.data() + pos), len);
    pos += len;
    return true;
}

}  // namespace

std::optional<MessageView> parse_message(std::span<const std::byte> body) {
    MessageView m;
    std::size_t pos = 0;
    if (!read_str(body, pos, m.room) || pos + 16 > body.size()) return std::nullopt;
    m.seq = get_u64(body.data() + pos);
    m.server_time_us = get_u64(body.data() + pos + 8);
    pos += 16;
    if (!read_str(body, pos, m.from) || !read_str(body, pos, m.text)) return std::nullopt;
    return m;
}

void append_timed_say(Bytes& out, std::string_view room, std::size_t text_bytes,
                      std::uint64_t sent_ns) {
    char stamp[24] = {'t', '='};
    const auto end = std::to_chars(stamp + 2, stamp + sizeof stamp, sent_ns, 16).ptr;
    const std::size_t stamp_len = static_cast<std::size_t>(end - stamp);
    text_bytes = std::clamp<std::size_t>(text_bytes, stamp_len, chat::kMaxTextBytes);
    const std::size_t size = chat::kHeaderSize + 2 + room.size() + 2 + text_bytes;
    std::size_t at = append_header(out, size, chat::MsgType::Say);
    std::byte* p = out.data() + at;
    put_u16(p, static_cast<std::uint16_t>(room.size()));
    std::memcpy(p + 2, room.data(), room.size());
    p += 2 + room.size();
    put_u16(p, static_cast<std::uint16_t>(text_bytes));
    std::memcpy(p + 2, stamp, stamp_len);
    std::memset(p + 2 + stamp_len, ' ', text_bytes - stamp_len);
    if (text_bytes > stamp_len) p[1 + text_bytes] = std::byte{'.'};  // no trailing blank
}

std::optional<std::uint64_t> timed_text_ns(std::string_view text) {
    if (text.size() < 3 || text[0] != 't' || text[1] != '=') return std::nullopt;
    std::uint64_t ns = 0;
    const auto r = std::from_chars(text.data() + 2, text.data() + text.size(), ns, 16);
    if (r.ec != std::errc{}) return std::nullopt;
    return ns;
}

}  // namespace chat_bench
