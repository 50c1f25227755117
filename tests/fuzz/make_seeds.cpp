// Writes the seed corpora of tests/fuzz/corpus/ from the unit tests' messages, each in its
// target's input format (see the targets' files). Run once after a format changes:
//   build/bin/fuzz_make_seeds tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>

#include "chat/codec.hpp"

namespace {

using namespace chat;
namespace fs = std::filesystem;

fs::path root;

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
    fs::create_directories(root / target);
    std::ofstream(root / target / ("seed-" + name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
}

struct Out {
    Bytes b;
    Out& u8(unsigned v) { return b.push_back(std::byte(v & 0xFF)), *this; }
    Out& u16(unsigned v) { return u8(v).u8(v >> 8); }
    Out& u32(std::uint32_t v) { return u16(v & 0xFFFF).u16(v >> 16); }
    Out& u64(std::uint64_t v) { return u32(v & 0xFFFFFFFF).u32(v >> 32); }
    Out& raw(const Bytes& more) { return b.insert(b.end(), more.begin(), more.end()), *this; }
    Out& text(std::string_view s) {
        for (char c : s) u8(static_cast<unsigned char>(c));
        return *this;
    }
    // The encoder target's strings: [mode][u16 length][...]; mode 0 takes the bytes that follow.
    Out& str(std::string_view s) { return u8(0).u16(s.size()).text(s); }
    Out& long_str(std::size_t len, unsigned unit) {  // mode 1: valid UTF-8, up to 131071 bytes
        return u8(1 | (len > 0xFFFF ? 4 : 0)).u16(len & 0xFFFF).u8(unit);
    }
    Out& item(std::string_view s) { return u8(s.size()).text(s); }
};

// The codec unit tests' messages (tests/unit/codec_test.cpp).
std::vector<std::pair<std::string, AnyMessage>> messages() {
    return {{"hello", Hello{1, "민수", "pw"}},
            {"welcome", Welcome{42, "ada", "srv", "epoll"}},
            {"error", Error{ErrorCode::NickTaken, 0x0001, "taken"}},
            {"bye", Bye{"bye"}},
            {"notice", Notice{"공지\nline"}},
            {"join", Join{"lobby"}},
            {"joined", Joined{"lobby", 7, {"a", "b", "철수"}}},
            {"leave", Leave{"r"}},
            {"left", Left{"r"}},
            {"room_event", RoomEvent{"r", RoomEventKind::Left, "bob"}},
            {"list_rooms", ListRooms{}},
            {"rooms", Rooms{{{"a", 1}, {"b", 70000}}}},
            {"say", Say{"r", "hi"}},
            {"message", Message{"r", 9, 123456789, "ada", "안녕"}},
            {"whisper", Whisper{"bob", "psst"}},
            {"whispered", Whispered{"a", "b", "t"}},
            {"move", Move{"r", 7, 0}},
            {"board", Board{"r", {{"a", 1, 2}, {"b", 7, 7}}}},
            {"ping", Ping{0x0102030405060708ull}},
            {"pong", Pong{5}},
            {"echo", Echo{std::string("\0\x01\xff", 3)}},
            {"info_req", InfoReq{}},
            {"info", Info{"epoll", "linux", 3, 2, 1000, 10, 20, 300, 400}},
            {"resume", Resume{"lobby", 0x1122334455667788ull, 41, 50}},
            {"resumed", Resumed{"lobby", 0x1122334455667788ull, 40, 52, {"a", "철수"}}}};
}

void frame_decoder_seeds() {
    Bytes all;
    for (const auto& [name, msg] : messages()) {
        Bytes f;
        encode(f, msg);
        write("frame_decoder", name, f);
        all.insert(all.end(), f.begin(), f.end());
    }
    write("frame_decoder", "every-message", all);
    // From MalformedBodiesGetTheirCodes and the service's bad frames.
    write("frame_decoder", "truncated-str", Out{}.u16(7).u16(0x10).u16(5).text("a").b);
    write("frame_decoder", "bad-utf8", Out{}.u16(7).u16(0x10).u16(1).u8(0xFF).b);
    write("frame_decoder", "size-below-header", Out{}.u16(3).u16(0x40).u16(4).u16(0x40).b);
    write("frame_decoder", "unknown-type", Out{}.u16(4).u16(0x100).u16(4).u16(0x15).b);
}

void encoder_seeds() {
    // [type index][fields]; the indexes are AnyMessage's.
    write("encoder", "hello", Out{}.u8(0).u16(1).str("민수").str("pw").b);
    write("encoder", "welcome", Out{}.u8(1).u32(42).str("ada").str("srv").str("epoll").b);
    write("encoder", "welcome-64k-server-name",  // issue 14
          Out{}.u8(1).u32(42).str("ada").long_str(65530, 0).str("epoll").b);
    write("encoder", "error", Out{}.u8(2).u16(9).u16(1).str("taken").b);
    write("encoder", "notice-hangul-90k", Out{}.u8(4).long_str(90000, 2).b);
    write("encoder", "joined",
          Out{}.u8(6).str("lobby").u64(7).u8(3).item("a").item("b").item("철수").b);
    write("encoder", "joined-5000-members", Out{}.u8(6).str("big").u64(1).u8(0x80 | 78).u8(8).b);
    write("encoder", "room_event", Out{}.u8(9).str("r").u8(2).str("bob").b);
    write("encoder", "rooms", Out{}.u8(11).u8(2).item("a").u32(1).item("b").u32(70000).b);
    write("encoder", "message",
          Out{}.u8(13).str("r").u64(9).u64(123456789).str("ada").str("안녕").b);
    write("encoder", "message-70k-room",
          Out{}.u8(13).long_str(70000, 0).u64(9).u64(1).str("ada").str("hi").b);
    write("encoder", "whispered", Out{}.u8(15).str("a").str("b").str("t").b);
    write("encoder", "move", Out{}.u8(16).str("r").u8(7).u8(0).b);
    write("encoder", "board",
          Out{}.u8(17).str("r").u8(2).item("a").u8(1).u8(2).item("b").u8(7).u8(7).b);
    write("encoder", "echo-70k", Out{}.u8(20).u8(2 | 4).u16(70000 & 0xFFFF).u8('e').b);
    write("encoder", "info", Out{}.u8(22).str("epoll").str("linux").u32(3).u32(2).u64(1000).b);
    write("encoder", "resume", Out{}.u8(23).str("lobby").u64(9).u64(41).u16(50).b);
    write("encoder", "resumed",
          Out{}.u8(24).str("lobby").u64(9).u64(40).u64(52).u8(2).item("a").item("철수").b);
}

// The service target's steps: [op = slot << 3 | 0][u16 length][bytes] delivers bytes.
Out& deliver(Out& o, unsigned slot, const AnyMessage& msg) {
    Bytes f;
    encode(f, msg);
    return o.u8(slot << 3).u16(f.size()).raw(f);
}

void service_seeds() {
    {  // two users in a room: say, move, whisper, list, info, leave (service_test.cpp)
        Out o;
        deliver(o, 0, Hello{1, "ada", ""});
        deliver(o, 1, Hello{1, "bob", ""});
        deliver(o, 0, Join{"lobby"});
        deliver(o, 1, Join{"lobby"});
        deliver(o, 0, Say{"lobby", "hi"});
        deliver(o, 1, Move{"lobby", 3, 4});
        deliver(o, 0, Whisper{"BOB", "psst"});
        deliver(o, 1, ListRooms{});
        deliver(o, 0, InfoReq{});
        deliver(o, 1, Leave{"lobby"});
        deliver(o, 0, Say{"lobby", "alone"});
        write("service", "room-life", o.b);
    }
    {  // refusals: nick taken (case folded), invalid nick, not logged in, not in room
        Out o;
        deliver(o, 0, Join{"early"});
        deliver(o, 0, Hello{1, "ada", ""});
        deliver(o, 1, Hello{1, "aDA", ""});
        deliver(o, 1, Hello{1, "has space", ""});
        deliver(o, 1, Hello{2, "bob", ""});
        deliver(o, 0, Say{"nowhere", "x"});
        deliver(o, 0, Hello{1, "ada", ""});
        write("service", "refusals", o.b);
    }
    {  // a full server, a kick, a notice, a reconnect, BYE, a bad frame
        Out o;
        for (unsigned slot = 0; slot < 5; ++slot)
            deliver(o, slot, Hello{1, "n" + std::to_string(slot), ""});
        deliver(o, 0, Join{"r"});
        deliver(o, 1, Join{"r"});
        o.u8(4).u8(1);                 // kick the second session
        o.u8(5).u8(6).text("notice");  // operator notice
        o.u8(7 | 2 << 3);              // slot 2 reconnects
        deliver(o, 3, Bye{"later"});
        o.u8(3 << 3).u16(4).u16(3).u16(0x40);  // slot 3: frame size 3
        o.u8(3 | 1 << 3);                      // slot 1 goes away
        write("service", "operator-and-ends", o.b);
    }
    {  // revision 2: scrollback, a resume in the room one is in, another epoch, NFC names
        Out o;
        deliver(o, 0, Hello{1, "\xE1\x84\x80\xE1\x85\xA1", ""});  // conjoining jamo
        deliver(o, 1, Hello{1, "\xEA\xB0\x80", ""});  // the same nick precomposed: taken
        deliver(o, 1, Hello{1, "bob", ""});
        deliver(o, 0, Join{"r"});
        deliver(o, 0, Say{"r", "one"});
        deliver(o, 0, Say{"r", "two"});
        deliver(o, 1, Resume{"r", 0, 0, 1});
        deliver(o, 1, Resume{"r", 12345, 1, 100});
        deliver(o, 0, Say{"r", "three"});
        deliver(o, 1, Leave{"r"});
        deliver(o, 1, Resume{"r", 0, 0, 0xFFFF});
        write("service", "resume", o.b);
    }
    {  // pipelined frames split across deliveries, ECHO and PING
        Bytes stream;
        for (const AnyMessage& m : {AnyMessage(Hello{1, "ada", ""}), AnyMessage(Echo{"e"}),
                                    AnyMessage(Ping{5}), AnyMessage(Join{"r"})})
            encode(stream, m);
        Out o;
        o.u8(0).u16(7).raw(Bytes(stream.begin(), stream.begin() + 7));
        o.u8(0).u16(stream.size() - 7).raw(Bytes(stream.begin() + 7, stream.end()));
        write("service", "split-pipeline", o.b);
    }
}

// The client session target's steps: 0 disconnect, 1 hello, 2 ping, [3..][u16 length][bytes].
void client_session_seeds() {
    Bytes stream;
    for (const AnyMessage& m :
         {AnyMessage(Welcome{1, "a", "s", "epoll"}), AnyMessage(Joined{"lobby", 5, {"a", "b"}}),
          AnyMessage(Message{"lobby", 5, 1, "b", "hi"}),
          AnyMessage(Message{"lobby", 8, 2, "b", "gap"}),
          AnyMessage(RoomEvent{"lobby", RoomEventKind::Joined, "c"}),
          AnyMessage(Board{"lobby", {{"a", 1, 2}}}), AnyMessage(Whispered{"b", "a", "psst"}),
          AnyMessage(Notice{"공지"}), AnyMessage(Pong{1}), AnyMessage(Rooms{{{"lobby", 3}}}),
          AnyMessage(Info{"poll", "linux", 1, 1, 1, 1, 1, 1, 1}), AnyMessage(Left{"lobby"})})
        encode(stream, m);
    write("client_session", "a-session",
          Out{}
              .u8(1)
              .u8(2)
              .u8(3)
              .u16(stream.size())
              .raw(stream)
              .u8(0)
              .u8(1)
              .u8(3)
              .u16(stream.size())
              .raw(stream)
              .b);
    write("client_session", "split-1-byte", Out{}.u8(1).u8(3).u16(stream.size()).raw(stream).b);
    Bytes refused;
    encode(refused, Error{ErrorCode::NickTaken, 1, "a is taken"});
    write("client_session", "refused", Out{}.u8(1).u8(11).u16(refused.size()).raw(refused).b);
    Bytes resumed;  // revision 2: scrollback, a resume with a gap, a room that started over
    for (const AnyMessage& m :
         {AnyMessage(Welcome{1, "a", "s", "epoll"}), AnyMessage(Resumed{"lobby", 9, 3, 5, {"a"}}),
          AnyMessage(Message{"lobby", 3, 1, "b", "old"}),
          AnyMessage(Message{"lobby", 4, 2, "b", "older"}),
          AnyMessage(Message{"lobby", 5, 3, "b", "live"}),
          AnyMessage(Resumed{"lobby", 9, 8, 9, {"a", "b"}}),
          AnyMessage(Resumed{"lobby", 10, 1, 1, {"a"}}),
          AnyMessage(Error{ErrorCode::UnknownType, 0x17, "RESUME"})})
        encode(resumed, m);
    write("client_session", "resumed", Out{}.u8(1).u8(3).u16(resumed.size()).raw(resumed).b);
    write("client_session", "broken-stream", Out{}.u8(1).u8(3).u16(4).u16(2).u16(2).b);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_seeds CORPUS_DIR   (tests/fuzz/corpus)\n";
        return 2;
    }
    root = argv[1];
    frame_decoder_seeds();
    encoder_seeds();
    service_seeds();
    client_session_seeds();
    return 0;
}
