#include "chat/codec.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "chat/text_rules.hpp"

namespace chat {
namespace {

// Encoding is two passes over the same put() overloads. The first (Measure) adds up the fixed
// fields and notes each string's length; a message that fits (all but pathological ones) is
// then written as it is. One that would not fit has its longest strings cut, the longest
// first and all to the same cap, so every fixed field and every short string survives and the
// frame's size field always tells the truth. Lists are the last field of their message; their
// items are whole or left out, as many as fit.
class Measure {
  public:
    void u8(std::uint8_t) { fixed_ += 1; }
    void u16(std::uint16_t) { fixed_ += 2; }
    void u32(std::uint32_t) { fixed_ += 4; }
    void u64(std::uint64_t) { fixed_ += 8; }
    void str(std::string_view s) {
        fixed_ += 2;
        raw(s);
    }
    void raw(std::string_view s) {
        if (count_ == lengths_.size()) throw std::logic_error("chat::encode: too many strings");
        lengths_[count_++] = s.size();
        string_bytes_ += s.size();
    }
    template <class Range, class PutItem>
    void list(const Range&, PutItem) {
        fixed_ += 2;  // the count; the items take what is left
    }

    std::size_t total() const { return fixed_ + string_bytes_; }
    // The longest a string may be so that the frame fits in `frame_room` bytes
    // (SIZE_MAX: no cut needed).
    std::size_t cap_for(std::size_t frame_room) const {
        if (total() <= frame_room) return SIZE_MAX;
        std::array<std::size_t, kMaxStrings> sorted = lengths_;
        std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(count_));
        std::size_t budget = frame_room - fixed_;  // fixed_ is small: never above frame_room
        for (std::size_t i = 0; i < count_; ++i) {
            const std::size_t share = budget / (count_ - i);
            if (sorted[i] > share) return share;  // this one and every longer one are cut
            budget -= sorted[i];
        }
        return SIZE_MAX;
    }

  private:
    static constexpr std::size_t kMaxStrings = 6;  // no message has more
    std::size_t fixed_ = kHeaderSize;
    std::size_t string_bytes_ = 0;
    std::array<std::size_t, kMaxStrings> lengths_{};
    std::size_t count_ = 0;
};

// The length of the longest prefix of `s` of at most `n` bytes that ends on a UTF-8 character
// boundary (a cut string stays valid UTF-8 when it was). A character is at most 4 bytes: past 3
// continuation bytes the string is not UTF-8 anyway, and is cut at `n`.
std::size_t utf8_floor(std::string_view s, std::size_t n) {
    if (n >= s.size()) return s.size();
    for (std::size_t back = 0; back < 4 && back <= n; ++back)
        if ((static_cast<unsigned char>(s[n - back]) & 0xC0) != 0x80) return n - back;
    return n;
}

class Writer {
  public:
    Writer(Bytes& out, MsgType type, std::size_t cap) : out_(out), start_(out.size()), cap_(cap) {
        u16(0);  // the size, patched by finish()
        u16(static_cast<std::uint16_t>(type));
    }
    std::size_t room_left() const { return kMaxFrame - (out_.size() - start_); }

    void u8(std::uint8_t v) { out_.push_back(std::byte(v)); }
    void u16(std::uint16_t v) { put_le(v, 2); }
    void u32(std::uint32_t v) { put_le(v, 4); }
    void u64(std::uint64_t v) { put_le(v, 8); }
    void str(std::string_view s) {
        const std::size_t n = utf8_floor(s, std::min(s.size(), cap_));
        u16(static_cast<std::uint16_t>(n));
        put_bytes(s.substr(0, n));
    }
    void raw(std::string_view s) { put_bytes(s.substr(0, std::min(s.size(), cap_))); }
    template <class Range, class PutItem>
    void list(const Range& items, PutItem put_item) {
        const std::size_t count_at = out_.size();
        u16(0);
        std::uint16_t n = 0;
        const std::size_t cap = std::exchange(cap_, SIZE_MAX);  // an item is never cut
        for (const auto& item : items) {
            Measure m;
            put_item(m, item);
            if (m.total() - kHeaderSize > room_left() || n == 0xFFFF) break;
            put_item(*this, item);
            ++n;
        }
        cap_ = cap;
        out_[count_at] = std::byte(n & 0xFF);
        out_[count_at + 1] = std::byte(n >> 8);
    }
    void finish() {
        const std::size_t size = out_.size() - start_;
        // Unreachable by construction (see Measure); a frame with a lying size would
        // desynchronise its reader, so it is never sent.
        if (size > kMaxFrame) throw std::length_error("chat::encode: frame over 65535 bytes");
        out_[start_] = std::byte(size & 0xFF);
        out_[start_ + 1] = std::byte((size >> 8) & 0xFF);
    }

  private:
    void put_le(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out_.push_back(std::byte((v >> (8 * i)) & 0xFF));
    }
    void put_bytes(std::string_view s) {
        const auto* p = reinterpret_cast<const std::byte*>(s.data());
        out_.insert(out_.end(), p, p + s.size());
    }
    Bytes& out_;
    std::size_t start_;
    std::size_t cap_;
};

class Reader {
  public:
    explicit Reader(std::span<const std::byte> body) : body_(body) {}
    ErrorCode error() const { return error_; }
    bool done() {
        if (error_ == ErrorCode::None && pos_ != body_.size()) error_ = ErrorCode::Malformed;
        return error_ == ErrorCode::None;
    }

    std::uint8_t u8() { return static_cast<std::uint8_t>(get_le(1)); }
    std::uint16_t u16() { return static_cast<std::uint16_t>(get_le(2)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(get_le(4)); }
    std::uint64_t u64() { return get_le(8); }
    std::string str(bool chat_text = false) {
        const std::size_t n = u16();
        if (!need(n)) return {};
        std::string s(reinterpret_cast<const char*>(body_.data() + pos_), n);
        pos_ += n;
        if (!is_clean_str(s, chat_text)) fail(ErrorCode::BadUtf8);
        return s;
    }
    // Chat text: newlines allowed, 1..1024 bytes.
    std::string text() {
        std::string s = str(true);
        if (error_ != ErrorCode::None) return s;
        if (s.empty()) fail(ErrorCode::Malformed);
        if (s.size() > kMaxTextBytes) fail(ErrorCode::TooLong);
        return s;
    }
    std::string rest() {
        std::string s(reinterpret_cast<const char*>(body_.data() + pos_), body_.size() - pos_);
        pos_ = body_.size();
        return s;
    }
    void fail(ErrorCode code) {
        if (error_ == ErrorCode::None) error_ = code;
    }

  private:
    bool need(std::size_t n) {
        if (error_ != ErrorCode::None) return false;
        if (body_.size() - pos_ < n) {
            fail(ErrorCode::Malformed);
            return false;
        }
        return true;
    }
    std::uint64_t get_le(int bytes) {
        if (!need(static_cast<std::size_t>(bytes))) return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= std::uint64_t(std::to_integer<unsigned>(body_[pos_ + i])) << (8 * i);
        pos_ += bytes;
        return v;
    }
    std::span<const std::byte> body_;
    std::size_t pos_ = 0;
    ErrorCode error_ = ErrorCode::None;
};

// ---- encoding, one overload per message (run by Measure, then by Writer) ----
template <class W>
void put(W& w, const Hello& m) {
    w.u16(m.version), w.str(m.nick), w.str(m.password);
}
template <class W>
void put(W& w, const Welcome& m) {
    w.u32(m.session_id), w.str(m.nick), w.str(m.server_name), w.str(m.engine);
}
template <class W>
void put(W& w, const Error& m) {
    w.u16(static_cast<std::uint16_t>(m.code)), w.u16(m.in_reply_to), w.str(m.detail);
}
template <class W>
void put(W& w, const Bye& m) {
    w.str(m.reason);
}
template <class W>
void put(W& w, const Notice& m) {
    w.str(m.text);
}
template <class W>
void put(W& w, const Join& m) {
    w.str(m.room);
}
template <class W>
void put(W& w, const Joined& m) {
    w.str(m.room), w.u64(m.next_seq);
    w.list(m.members, [](auto& out, const std::string& nick) { out.str(nick); });
}
template <class W>
void put(W& w, const Leave& m) {
    w.str(m.room);
}
template <class W>
void put(W& w, const Left& m) {
    w.str(m.room);
}
template <class W>
void put(W& w, const RoomEvent& m) {
    w.str(m.room), w.u8(static_cast<std::uint8_t>(m.kind)), w.str(m.nick);
}
template <class W>
void put(W&, const ListRooms&) {}
template <class W>
void put(W& w, const Rooms& m) {
    w.list(m.rooms, [](auto& out, const RoomSummary& r) { out.str(r.room), out.u32(r.members); });
}
template <class W>
void put(W& w, const Say& m) {
    w.str(m.room), w.str(m.text);
}
template <class W>
void put(W& w, const Message& m) {
    w.str(m.room), w.u64(m.seq), w.u64(m.server_time_us), w.str(m.from), w.str(m.text);
}
template <class W>
void put(W& w, const Whisper& m) {
    w.str(m.to), w.str(m.text);
}
template <class W>
void put(W& w, const Whispered& m) {
    w.str(m.from), w.str(m.to), w.str(m.text);
}
template <class W>
void put(W& w, const Move& m) {
    w.str(m.room), w.u8(m.x), w.u8(m.y);
}
template <class W>
void put(W& w, const Board& m) {
    w.str(m.room);
    w.list(m.pieces, [](auto& out, const Piece& p) { out.str(p.nick), out.u8(p.x), out.u8(p.y); });
}
template <class W>
void put(W& w, const Ping& m) {
    w.u64(m.token);
}
template <class W>
void put(W& w, const Pong& m) {
    w.u64(m.token);
}
template <class W>
void put(W& w, const Echo& m) {
    w.raw(m.body);
}
template <class W>
void put(W&, const InfoReq&) {}
template <class W>
void put(W& w, const Info& m) {
    w.str(m.engine), w.str(m.platform), w.u32(m.sessions), w.u32(m.rooms), w.u64(m.uptime_ms);
    w.u64(m.frames_in), w.u64(m.frames_out), w.u64(m.bytes_in), w.u64(m.bytes_out);
}

template <class W>
void put(W& w, const Resume& m) {
    w.str(m.room), w.u64(m.epoch), w.u64(m.after_seq), w.u16(m.max_replay);
}
template <class W>
void put(W& w, const Resumed& m) {
    w.str(m.room), w.u64(m.epoch), w.u64(m.next_seq), w.u64(m.live_seq);
    w.list(m.members, [](auto& out, const std::string& nick) { out.str(nick); });
}

// ---- decoding, one overload per message ----
void get(Reader& r, Hello& m) {
    m.version = r.u16(), m.nick = r.str(), m.password = r.str();
}
void get(Reader& r, Welcome& m) {
    m.session_id = r.u32(), m.nick = r.str(), m.server_name = r.str(), m.engine = r.str();
}
void get(Reader& r, Error& m) {
    m.code = static_cast<ErrorCode>(r.u16()), m.in_reply_to = r.u16(), m.detail = r.str(true);
}
void get(Reader& r, Bye& m) {
    m.reason = r.str(true);
}
void get(Reader& r, Notice& m) {
    m.text = r.str(true);
}
void get(Reader& r, Join& m) {
    m.room = r.str();
}
void get(Reader& r, Joined& m) {
    m.room = r.str(), m.next_seq = r.u64();
    const std::uint16_t n = r.u16();
    for (std::uint16_t i = 0; i < n && r.error() == ErrorCode::None; ++i)
        m.members.push_back(r.str());
}
void get(Reader& r, Leave& m) {
    m.room = r.str();
}
void get(Reader& r, Left& m) {
    m.room = r.str();
}
void get(Reader& r, RoomEvent& m) {
    m.room = r.str();
    const std::uint8_t kind = r.u8();
    if (kind != 1 && kind != 2) r.fail(ErrorCode::Malformed);
    m.kind = static_cast<RoomEventKind>(kind), m.nick = r.str();
}
void get(Reader&, ListRooms&) {}
void get(Reader& r, Rooms& m) {
    const std::uint16_t n = r.u16();
    for (std::uint16_t i = 0; i < n && r.error() == ErrorCode::None; ++i) {
        RoomSummary s;
        s.room = r.str(), s.members = r.u32();
        m.rooms.push_back(std::move(s));
    }
}
void get(Reader& r, Say& m) {
    m.room = r.str(), m.text = r.text();
}
void get(Reader& r, Message& m) {
    m.room = r.str(), m.seq = r.u64(), m.server_time_us = r.u64(), m.from = r.str();
    m.text = r.text();
}
void get(Reader& r, Whisper& m) {
    m.to = r.str(), m.text = r.text();
}
void get(Reader& r, Whispered& m) {
    m.from = r.str(), m.to = r.str(), m.text = r.text();
}
void get(Reader& r, Move& m) {
    m.room = r.str(), m.x = r.u8(), m.y = r.u8();
    if (m.x >= kBoardSize || m.y >= kBoardSize) r.fail(ErrorCode::Malformed);
}
void get(Reader& r, Board& m) {
    m.room = r.str();
    const std::uint16_t n = r.u16();
    for (std::uint16_t i = 0; i < n && r.error() == ErrorCode::None; ++i) {
        Piece p;
        p.nick = r.str(), p.x = r.u8(), p.y = r.u8();
        if (p.x >= kBoardSize || p.y >= kBoardSize) r.fail(ErrorCode::Malformed);
        m.pieces.push_back(std::move(p));
    }
}
void get(Reader& r, Ping& m) {
    m.token = r.u64();
}
void get(Reader& r, Pong& m) {
    m.token = r.u64();
}
void get(Reader& r, Echo& m) {
    m.body = r.rest();
}
void get(Reader&, InfoReq&) {}
void get(Reader& r, Info& m) {
    m.engine = r.str(), m.platform = r.str(), m.sessions = r.u32(), m.rooms = r.u32();
    m.uptime_ms = r.u64(), m.frames_in = r.u64(), m.frames_out = r.u64();
    m.bytes_in = r.u64(), m.bytes_out = r.u64();
}
void get(Reader& r, Resume& m) {
    m.room = r.str(), m.epoch = r.u64(), m.after_seq = r.u64(), m.max_replay = r.u16();
}
void get(Reader& r, Resumed& m) {
    m.room = r.str(), m.epoch = r.u64(), m.next_seq = r.u64(), m.live_seq = r.u64();
    // An epoch is never 0, seq counts from 1, and the replay ends where live traffic begins.
    if (m.epoch == 0 || m.next_seq == 0 || m.next_seq > m.live_seq) r.fail(ErrorCode::Malformed);
    const std::uint16_t n = r.u16();
    for (std::uint16_t i = 0; i < n && r.error() == ErrorCode::None; ++i)
        m.members.push_back(r.str());
}

template <class T>
ErrorCode decode_as(std::span<const std::byte> body, AnyMessage& out) {
    T msg;
    Reader r(body);
    get(r, msg);
    if (!r.done()) return r.error();
    out = std::move(msg);
    return ErrorCode::None;
}

template <class T>
constexpr MsgType type_for();
#define CHAT_TYPE(T)                  \
    template <>                       \
    constexpr MsgType type_for<T>() { \
        return MsgType::T;            \
    }
CHAT_TYPE(Hello);
CHAT_TYPE(Welcome);
CHAT_TYPE(Error);
CHAT_TYPE(Bye);
CHAT_TYPE(Notice);
CHAT_TYPE(Join);
CHAT_TYPE(Joined);
CHAT_TYPE(Leave);
CHAT_TYPE(Left);
CHAT_TYPE(RoomEvent);
CHAT_TYPE(ListRooms);
CHAT_TYPE(Rooms);
CHAT_TYPE(Say);
CHAT_TYPE(Message);
CHAT_TYPE(Whisper);
CHAT_TYPE(Whispered);
CHAT_TYPE(Move);
CHAT_TYPE(Board);
CHAT_TYPE(Ping);
CHAT_TYPE(Pong);
CHAT_TYPE(Echo);
CHAT_TYPE(InfoReq);
CHAT_TYPE(Info);
CHAT_TYPE(Resume);
CHAT_TYPE(Resumed);
#undef CHAT_TYPE

// Every alternative of AnyMessage, tried by type number.
template <std::size_t I = 0>
ErrorCode decode_by_index(std::uint16_t type, std::span<const std::byte> body, AnyMessage& out) {
    if constexpr (I == std::variant_size_v<AnyMessage>) {
        return ErrorCode::UnknownType;
    } else {
        using T = std::variant_alternative_t<I, AnyMessage>;
        if (static_cast<std::uint16_t>(type_for<T>()) == type) return decode_as<T>(body, out);
        return decode_by_index<I + 1>(type, body, out);
    }
}

}  // namespace

void encode(Bytes& out, const AnyMessage& msg) {
    std::visit(
        [&out](const auto& m) {
            Measure measure;
            put(measure, m);
            Writer w(out, type_for<std::decay_t<decltype(m)>>(), measure.cap_for(kMaxFrame));
            put(w, m);
            w.finish();
        },
        msg);
}

ErrorCode decode(std::uint16_t type, std::span<const std::byte> body, AnyMessage& out) {
    return decode_by_index(type, body, out);
}

MsgType type_of(const AnyMessage& msg) {
    return std::visit([](const auto& m) { return type_for<std::decay_t<decltype(m)>>(); }, msg);
}

}  // namespace chat
