// The protocol subset the reference servers speak (docs/protocol.md): HELLO -> WELCOME,
// JOIN -> JOINED + ROOM_EVENT, SAY -> MESSAGE to the room, ECHO, PING -> PONG. Deliberately
// independent of the chat library, as a third-party server would be; it validates only what
// the benchmarks need (no nick or UTF-8 rules, no rate limit).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace proto_lite {

enum Type : std::uint16_t {
    kHello = 0x0001,
    kWelcome = 0x0002,
    kJoin = 0x0010,
    kJoined = 0x0011,
    kRoomEvent = 0x0014,
    kSay = 0x0020,
    kMessage = 0x0021,
    kPing = 0x0040,
    kPong = 0x0041,
    kEcho = 0x0042,
};
inline constexpr std::size_t kHeader = 4;
inline constexpr std::size_t kMaxFrame = 65535;

inline std::uint16_t u16_at(const unsigned char* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// Reads the fields of a body in order; any overrun turns ok() false.
class Reader {
  public:
    Reader(const unsigned char* p, std::size_t n) : p_(p), n_(n) {}
    std::uint16_t u16() {
        if (!need(2)) return 0;
        const auto v = u16_at(p_ + pos_);
        pos_ += 2;
        return v;
    }
    std::string_view str() {
        const std::size_t len = u16();
        if (!need(len)) return {};
        std::string_view s(reinterpret_cast<const char*>(p_ + pos_), len);
        pos_ += len;
        return s;
    }
    bool ok() const { return ok_; }

  private:
    bool need(std::size_t k) {
        if (pos_ + k > n_) ok_ = false;
        return ok_;
    }
    const unsigned char* p_;
    std::size_t n_, pos_ = 0;
    bool ok_ = true;
};

// Builds one frame: header first, size patched in by done().
class Writer {
  public:
    explicit Writer(std::uint16_t type) {
        bytes_.resize(kHeader);
        bytes_[2] = static_cast<char>(type & 0xff);
        bytes_[3] = static_cast<char>(type >> 8);
    }
    Writer& u8(std::uint8_t v) {
        bytes_.push_back(static_cast<char>(v));
        return *this;
    }
    Writer& u16(std::uint16_t v) {
        bytes_.push_back(static_cast<char>(v & 0xff));
        bytes_.push_back(static_cast<char>(v >> 8));
        return *this;
    }
    Writer& u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        return *this;
    }
    Writer& u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
        return *this;
    }
    Writer& str(std::string_view s) {
        u16(static_cast<std::uint16_t>(s.size()));
        bytes_.append(s);
        return *this;
    }
    std::size_t size() const { return bytes_.size(); }
    std::string done() {
        bytes_[0] = static_cast<char>(bytes_.size() & 0xff);
        bytes_[1] = static_cast<char>(bytes_.size() >> 8);
        return std::move(bytes_);
    }

  private:
    std::string bytes_;
};

inline std::uint64_t now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

inline std::string welcome(std::uint32_t id, std::string_view nick, std::string_view engine) {
    return Writer(kWelcome).u32(id).str(nick).str("reference").str(engine).done();
}

// JOINED with as many member nicks as fit in one frame, like the real server.
inline std::string joined(std::string_view room, std::uint64_t next_seq,
                          const std::vector<std::string_view>& members) {
    Writer w(kJoined);
    w.str(room).u64(next_seq);
    std::size_t n = 0, bytes = w.size() + 2;
    while (n < members.size() && bytes + 2 + members[n].size() <= kMaxFrame)
        bytes += 2 + members[n++].size();
    w.u16(static_cast<std::uint16_t>(n));
    for (std::size_t i = 0; i < n; ++i) w.str(members[i]);
    return w.done();
}

inline std::string room_event(std::string_view room, std::uint8_t kind, std::string_view nick) {
    return Writer(kRoomEvent).str(room).u8(kind).str(nick).done();
}

inline std::string message(std::string_view room, std::uint64_t seq, std::string_view from,
                           std::string_view text) {
    return Writer(kMessage).str(room).u64(seq).u64(now_us()).str(from).str(text).done();
}

// "--port N" and "--listen ADDR" from argv; returns false (after a usage line) otherwise.
bool parse_args(int argc, char** argv, std::string& listen, std::uint16_t& port, bool* flag,
                const char* flag_name);

}  // namespace proto_lite
