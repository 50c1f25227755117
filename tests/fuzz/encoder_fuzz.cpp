// The encoder fed every message type with fuzzed field values: short strings of any bytes,
// long ones up to twice a frame (valid UTF-8 of 1 to 4 byte characters, or one repeated byte)
// and lists of up to 8,000 items. Every frame must be whole (its size field counts its bytes,
// at most 65,535) and keep a reader in step; what decodes must be the message sent, or, when
// it could not fit, the message with its longest strings and its lists cut (never a fixed
// field); a message whose every field follows the protocol must decode.
#include <tuple>

#include "chat/frame_decoder.hpp"
#include "chat/text_rules.hpp"
#include "fuzz_target.hpp"

namespace {

using namespace chat;
using netchat_fuzz::Input;

enum class Field { Name, Prose, Text };  // str(); str(true), newlines allowed; chat text 1..1024

class Generator {
  public:
    explicit Generator(Input& in) : in_(in) {}
    bool clean() const { return clean_; }  // every field as the protocol wants it
    void not_clean() { clean_ = false; }

    std::string str(Field kind = Field::Name) {
        const std::uint8_t mode = in_.u8();
        std::string s;
        const std::size_t long_len = in_.u16() | (static_cast<std::size_t>(mode & 4) << 14);
        switch (mode & 3) {
            case 0:  // short, any bytes
                s = in_.string(long_len & 0xFF);
                break;
            case 1: {  // long, valid UTF-8 (and a newline now and then)
                static constexpr const char* kUnits[] = {"a", "é", "한", "😀", "ab\n"};
                const std::string unit = kUnits[in_.u8() % 5];
                while (s.size() + unit.size() <= long_len) s += unit;
                break;
            }
            case 2:  // long, one byte repeated
                s.assign(long_len, static_cast<char>(in_.u8()));
                break;
            default:
                break;  // empty
        }
        if (!is_clean_str(s, kind != Field::Name)) clean_ = false;
        if (kind == Field::Text && (s.empty() || s.size() > kMaxTextBytes)) clean_ = false;
        return s;
    }
    std::string short_str() {  // a list item: short, so lists are cut by count alone
        std::string s = in_.string(in_.u8() % 40);
        if (!is_clean_str(s, false)) clean_ = false;
        return s;
    }
    std::uint8_t coord() {
        const std::uint8_t v = in_.u8();
        if (v >= kBoardSize) clean_ = false;
        return v;
    }
    // A list's length: a few items read from the input, or thousands made up.
    template <class Item, class Read, class Make>
    std::vector<Item> list(Read read, Make make) {
        const std::uint8_t n = in_.u8();
        std::vector<Item> out;
        if (n & 0x80) {
            const std::size_t count = (n & 0x7F) * 64u + in_.u8();
            for (std::size_t i = 0; i < count; ++i) out.push_back(make(i));
        } else {
            for (std::size_t i = 0; i < n && !in_.empty(); ++i) out.push_back(read());
        }
        return out;
    }
    Input& in() { return in_; }

  private:
    Input& in_;
    bool clean_ = true;
};

AnyMessage make_message(Generator& g) {
    Input& in = g.in();
    switch (in.u8() % std::variant_size_v<AnyMessage>) {
        case 0: {
            Hello m;
            m.version = in.u16(), m.nick = g.str(), m.password = g.str();
            return m;
        }
        case 1: {
            Welcome m;
            m.session_id = in.u32(), m.nick = g.str(), m.server_name = g.str(), m.engine = g.str();
            return m;
        }
        case 2: {
            Error m;
            m.code = static_cast<ErrorCode>(in.u16()), m.in_reply_to = in.u16();
            m.detail = g.str(Field::Prose);
            return m;
        }
        case 3:
            return Bye{g.str(Field::Prose)};
        case 4:
            return Notice{g.str(Field::Prose)};
        case 5:
            return Join{g.str()};
        case 6: {
            Joined m;
            m.room = g.str(), m.next_seq = in.u64();
            m.members = g.list<std::string>([&] { return g.short_str(); },
                                            [](std::size_t i) { return "m" + std::to_string(i); });
            return m;
        }
        case 7:
            return Leave{g.str()};
        case 8:
            return Left{g.str()};
        case 9: {
            RoomEvent m;
            m.room = g.str();
            const std::uint8_t kind = in.u8();
            if (kind != 1 && kind != 2) g.not_clean();
            m.kind = static_cast<RoomEventKind>(kind);
            m.nick = g.str();
            return m;
        }
        case 10:
            return ListRooms{};
        case 11:
            return Rooms{g.list<RoomSummary>(
                [&] {
                    return RoomSummary{g.short_str(), in.u32()};
                },
                [](std::size_t i) {
                    return RoomSummary{"room-" + std::to_string(i), 1};
                })};
        case 12: {
            Say m;
            m.room = g.str(), m.text = g.str(Field::Text);
            return m;
        }
        case 13: {
            Message m;
            m.room = g.str(), m.seq = in.u64(), m.server_time_us = in.u64();
            m.from = g.str(), m.text = g.str(Field::Text);
            return m;
        }
        case 14: {
            Whisper m;
            m.to = g.str(), m.text = g.str(Field::Text);
            return m;
        }
        case 15: {
            Whispered m;
            m.from = g.str(), m.to = g.str(), m.text = g.str(Field::Text);
            return m;
        }
        case 16: {
            Move m;
            m.room = g.str(), m.x = g.coord(), m.y = g.coord();
            return m;
        }
        case 17: {
            Board m;
            m.room = g.str();
            m.pieces = g.list<Piece>(
                [&] {
                    return Piece{g.short_str(), g.coord(), g.coord()};
                },
                [](std::size_t i) {
                    return Piece{"p" + std::to_string(i), static_cast<std::uint8_t>(i % 8),
                                 static_cast<std::uint8_t>(i / 8 % 8)};
                });
            return m;
        }
        case 18:
            return Ping{in.u64()};
        case 19:
            return Pong{in.u64()};
        case 20:
            return Echo{g.str(Field::Prose)};
        case 21:
            return InfoReq{};
        case 22: {
            Info m;
            m.engine = g.str(), m.platform = g.str(), m.sessions = in.u32(), m.rooms = in.u32();
            m.uptime_ms = in.u64(), m.frames_in = in.u64(), m.frames_out = in.u64();
            m.bytes_in = in.u64(), m.bytes_out = in.u64();
            return m;
        }
        case 23: {
            Resume m;
            m.room = g.str(), m.epoch = in.u64(), m.after_seq = in.u64(), m.max_replay = in.u16();
            return m;
        }
        default: {
            Resumed m;
            m.room = g.str(), m.epoch = in.u64(), m.next_seq = in.u64(), m.live_seq = in.u64();
            if (m.epoch == 0 || m.next_seq == 0 || m.next_seq > m.live_seq) g.not_clean();
            m.members = g.list<std::string>([&] { return g.short_str(); },
                                            [](std::size_t i) { return "m" + std::to_string(i); });
            return m;
        }
    }
}

// Each message's fields, in order, to compare a decoded message with the one sent.
auto fields(const Hello& m) {
    return std::tie(m.version, m.nick, m.password);
}
auto fields(const Welcome& m) {
    return std::tie(m.session_id, m.nick, m.server_name, m.engine);
}
auto fields(const Error& m) {
    return std::tie(m.code, m.in_reply_to, m.detail);
}
auto fields(const Bye& m) {
    return std::tie(m.reason);
}
auto fields(const Notice& m) {
    return std::tie(m.text);
}
auto fields(const Join& m) {
    return std::tie(m.room);
}
auto fields(const Joined& m) {
    return std::tie(m.room, m.next_seq, m.members);
}
auto fields(const Leave& m) {
    return std::tie(m.room);
}
auto fields(const Left& m) {
    return std::tie(m.room);
}
auto fields(const RoomEvent& m) {
    return std::tie(m.room, m.kind, m.nick);
}
auto fields(const ListRooms&) {
    return std::tie();
}
auto fields(const Rooms& m) {
    return std::tie(m.rooms);
}
auto fields(const Say& m) {
    return std::tie(m.room, m.text);
}
auto fields(const Message& m) {
    return std::tie(m.room, m.seq, m.server_time_us, m.from, m.text);
}
auto fields(const Whisper& m) {
    return std::tie(m.to, m.text);
}
auto fields(const Whispered& m) {
    return std::tie(m.from, m.to, m.text);
}
auto fields(const Move& m) {
    return std::tie(m.room, m.x, m.y);
}
auto fields(const Board& m) {
    return std::tie(m.room, m.pieces);
}
auto fields(const Ping& m) {
    return std::tie(m.token);
}
auto fields(const Pong& m) {
    return std::tie(m.token);
}
auto fields(const Echo& m) {
    return std::tie(m.body);
}
auto fields(const InfoReq&) {
    return std::tie();
}
auto fields(const Info& m) {
    return std::tie(m.engine, m.platform, m.sessions, m.rooms, m.uptime_ms, m.frames_in,
                    m.frames_out, m.bytes_in, m.bytes_out);
}
auto fields(const Resume& m) {
    return std::tie(m.room, m.epoch, m.after_seq, m.max_replay);
}
auto fields(const Resumed& m) {
    return std::tie(m.room, m.epoch, m.next_seq, m.live_seq, m.members);
}

// `got` is `sent` or what the encoder may cut it to: a string to a prefix, a list to its first
// items; anything else must be equal.
template <class T>
bool cut_of(const T& got, const T& sent) {
    return got == sent;
}
bool cut_of(const std::string& got, const std::string& sent) {
    return got.size() <= sent.size() && sent.compare(0, got.size(), got) == 0;
}
template <class T>
bool cut_of(const std::vector<T>& got, const std::vector<T>& sent) {
    return got.size() <= sent.size() && std::equal(got.begin(), got.end(), sent.begin());
}
template <class T>
bool message_cut_of(const T& got, const T& sent) {
    return std::apply(
        [&](const auto&... g) {
            return std::apply([&](const auto&... s) { return (cut_of(g, s) && ...); },
                              fields(sent));
        },
        fields(got));
}

}  // namespace

NETCHAT_FUZZ_TARGET(encoder) {
    Input in(data, size);
    Generator gen(in);
    const AnyMessage sent = make_message(gen);
    const Bytes frame = encode(sent);

    // A whole frame, whose size field tells the truth.
    FUZZ_CHECK(frame.size() >= kHeaderSize && frame.size() <= kMaxFrame);
    const FrameHeader header = read_header(frame.data());
    FUZZ_CHECK(header.size == frame.size());
    FUZZ_CHECK(header.type == static_cast<std::uint16_t>(type_of(sent)));

    // A reader stays in step: the frame after it arrives intact.
    FrameDecoder reader;
    reader.feed(frame);
    reader.feed(encode(Ping{0x1122334455667788ull}));
    const auto first = reader.next();
    FUZZ_CHECK(first && first->header.size == header.size);
    const auto second = reader.next();
    FUZZ_CHECK(second && second->error == ErrorCode::None);
    FUZZ_CHECK(std::get<Ping>(second->message).token == 0x1122334455667788ull);
    FUZZ_CHECK(!reader.broken() && reader.buffered() == 0);

    if (gen.clean()) FUZZ_CHECK(first->error == ErrorCode::None);
    if (first->error != ErrorCode::None) return;
    const AnyMessage& got = first->message;
    FUZZ_CHECK(got.index() == sent.index());
    FUZZ_CHECK(std::visit(
        [&](const auto& g) { return message_cut_of(g, std::get<std::decay_t<decltype(g)>>(sent)); },
        got));
    // Nothing is cut from a frame with room to spare: up to 3 bytes per string are lost to a
    // UTF-8 boundary, and a list item is at most 2 + 39 + 4 bytes.
    if (frame.size() + 6 * 3 + 45 < kMaxFrame) FUZZ_CHECK(got == sent);
}
