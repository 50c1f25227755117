// Every message round-trips; every malformed body decodes to its error code.
#include <gtest/gtest.h>

#include "chat/codec.hpp"
#include "chat/frame_decoder.hpp"
#include "chat/text_rules.hpp"

using namespace chat;

namespace {

Bytes body_of(const Bytes& frame) {
    return Bytes(frame.begin() + 4, frame.end());
}

template <class T>
T round_trip(const T& msg) {
    const Bytes frame = encode(msg);
    const FrameHeader h = read_header(frame.data());
    EXPECT_EQ(h.size, frame.size());
    EXPECT_EQ(h.type, static_cast<std::uint16_t>(type_of(AnyMessage(msg))));
    AnyMessage out;
    EXPECT_EQ(decode(h.type, body_of(frame), out), ErrorCode::None);
    EXPECT_TRUE(std::holds_alternative<T>(out));
    return std::get<T>(out);
}

Bytes raw(std::initializer_list<int> bytes) {
    Bytes out;
    for (int b : bytes) out.push_back(std::byte(b));
    return out;
}

Bytes str(std::string_view s) {
    Bytes out = raw({static_cast<int>(s.size() & 0xFF), static_cast<int>(s.size() >> 8)});
    for (char c : s) out.push_back(std::byte(c));
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

ErrorCode decode_code(MsgType type, const Bytes& body) {
    AnyMessage out;
    return decode(static_cast<std::uint16_t>(type), body, out);
}

TEST(Codec, EveryMessageRoundTrips) {
    EXPECT_EQ(round_trip(Hello{1, "민수", "pw"}).nick, "민수");
    const auto w = round_trip(Welcome{42, "ada", "srv", "epoll"});
    EXPECT_EQ(w.session_id, 42u);
    EXPECT_EQ(w.engine, "epoll");
    const auto e = round_trip(Error{ErrorCode::NickTaken, 0x0001, "taken"});
    EXPECT_EQ(e.code, ErrorCode::NickTaken);
    EXPECT_EQ(e.in_reply_to, 0x0001);
    EXPECT_EQ(round_trip(Bye{"bye"}).reason, "bye");
    EXPECT_EQ(round_trip(Notice{"공지\nline"}).text, "공지\nline");
    EXPECT_EQ(round_trip(Join{"lobby"}).room, "lobby");
    const auto j = round_trip(Joined{"lobby", 7, {"a", "b", "철수"}});
    EXPECT_EQ(j.next_seq, 7u);
    EXPECT_EQ(j.members, (std::vector<std::string>{"a", "b", "철수"}));
    EXPECT_EQ(round_trip(Leave{"r"}).room, "r");
    EXPECT_EQ(round_trip(Left{"r"}).room, "r");
    const auto re = round_trip(RoomEvent{"r", RoomEventKind::Left, "bob"});
    EXPECT_EQ(re.kind, RoomEventKind::Left);
    round_trip(ListRooms{});
    const auto rooms = round_trip(Rooms{{{"a", 1}, {"b", 70000}}});
    ASSERT_EQ(rooms.rooms.size(), 2u);
    EXPECT_EQ(rooms.rooms[1].members, 70000u);
    EXPECT_EQ(round_trip(Say{"r", "hi"}).text, "hi");
    const auto m = round_trip(Message{"r", 9, 123456789, "ada", "안녕"});
    EXPECT_EQ(m.seq, 9u);
    EXPECT_EQ(m.server_time_us, 123456789u);
    EXPECT_EQ(round_trip(Whisper{"bob", "psst"}).to, "bob");
    EXPECT_EQ(round_trip(Whispered{"a", "b", "t"}).from, "a");
    const auto mv = round_trip(Move{"r", 7, 0});
    EXPECT_EQ(mv.x, 7);
    const auto b = round_trip(Board{"r", {{"a", 1, 2}, {"b", 7, 7}}});
    ASSERT_EQ(b.pieces.size(), 2u);
    EXPECT_EQ(b.pieces[1].y, 7);
    EXPECT_EQ(round_trip(Ping{0xFFFFFFFFFFFFFFFFull}).token, 0xFFFFFFFFFFFFFFFFull);
    EXPECT_EQ(round_trip(Pong{5}).token, 5u);
    EXPECT_EQ(round_trip(Echo{std::string("\0\1\2", 3)}).body, std::string("\0\1\2", 3));
    EXPECT_EQ(round_trip(Echo{""}).body, "");
    round_trip(InfoReq{});
    const auto info = round_trip(Info{"io_uring", "linux", 3, 2, 1000, 10, 11, 12, 13});
    EXPECT_EQ(info.bytes_out, 13u);
    EXPECT_EQ(info.platform, "linux");
}

// Revision 2 (docs/protocol.md, "History and resume").
TEST(Codec, ResumeAndResumedRoundTripWithTheirTypeNumbers) {
    const Resume r = round_trip(Resume{"로비", 0xFEDCBA9876543210ull, 41, 50});
    EXPECT_EQ(r, (Resume{"로비", 0xFEDCBA9876543210ull, 41, 50}));
    EXPECT_EQ(round_trip(Resume{"r", 0, 0, 0}), (Resume{"r", 0, 0, 0}));
    EXPECT_EQ(round_trip(Resume{"r", 1, ~0ull, 0xFFFF}).max_replay, 0xFFFF);
    const Resumed d = round_trip(Resumed{"r", 7, 3, 10, {"a", "철수"}});
    EXPECT_EQ(d, (Resumed{"r", 7, 3, 10, {"a", "철수"}}));
    EXPECT_EQ(round_trip(Resumed{"r", 7, 10, 10, {}}).members.size(), 0u);
    // The exact bytes: str room, u64 epoch, u64 after_seq, u16 max_replay.
    EXPECT_EQ(encode(Resume{"r", 0x0102, 3, 0x0405}), raw({4 + 3 + 8 + 8 + 2,
                                                           0,
                                                           0x17,
                                                           0,
                                                           1,
                                                           0,
                                                           'r',
                                                           2,
                                                           1,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           3,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           5,
                                                           4}));
    EXPECT_EQ(static_cast<std::uint16_t>(MsgType::Resumed), 0x0018);
    EXPECT_EQ(type_name(0x0017), "RESUME");
    EXPECT_EQ(type_name(0x0018), "RESUMED");
    EXPECT_TRUE(is_client_type(0x0017));
    EXPECT_FALSE(is_client_type(0x0018));
    EXPECT_FALSE(allowed_before_hello(0x0017));
    EXPECT_EQ(error_name(ErrorCode::Unavailable), "unavailable");
    EXPECT_EQ(static_cast<int>(ErrorCode::Unavailable), 18);
}

TEST(Codec, BadResumeAndResumedBodiesGetTheirCodes) {
    const Bytes u64_1 = raw({1, 0, 0, 0, 0, 0, 0, 0});
    const Bytes u64_0 = raw({0, 0, 0, 0, 0, 0, 0, 0});
    const Bytes u64_5 = raw({5, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_EQ(decode_code(MsgType::Resume, cat({str("r"), u64_1, u64_1, raw({1, 0})})),
              ErrorCode::None);
    EXPECT_EQ(decode_code(MsgType::Resume, cat({str("r"), u64_1, u64_1, raw({1})})),
              ErrorCode::Malformed);  // max_replay cut short
    EXPECT_EQ(decode_code(MsgType::Resume, cat({str("r"), u64_1, u64_1, raw({1, 0, 0})})),
              ErrorCode::Malformed);  // a byte too many
    EXPECT_EQ(decode_code(MsgType::Resume, cat({str("r"), u64_1})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Resume, cat({str("\xff"), u64_1, u64_1, raw({1, 0})})),
              ErrorCode::BadUtf8);
    EXPECT_EQ(decode_code(MsgType::Resumed, cat({str("r"), u64_1, u64_1, u64_5, raw({0, 0})})),
              ErrorCode::None);
    // Epoch 0, seq 0, and a replay that would end past the live seq are out of range.
    EXPECT_EQ(decode_code(MsgType::Resumed, cat({str("r"), u64_0, u64_1, u64_5, raw({0, 0})})),
              ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Resumed, cat({str("r"), u64_1, u64_0, u64_5, raw({0, 0})})),
              ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Resumed, cat({str("r"), u64_1, u64_5, u64_1, raw({0, 0})})),
              ErrorCode::Malformed);
    EXPECT_EQ(
        decode_code(MsgType::Resumed, cat({str("r"), u64_1, u64_1, u64_5, raw({2, 0}), str("a")})),
        ErrorCode::Malformed);  // two members announced, one sent
}

TEST(Codec, IntegersAreLittleEndian) {
    const Bytes f = encode(Ping{0x0102030405060708ull});
    EXPECT_EQ(f, raw({12, 0, 0x40, 0, 8, 7, 6, 5, 4, 3, 2, 1}));
}

TEST(Codec, HugeListsAreCutToOneFrame) {
    Joined j{"big", 1, {}};
    for (int i = 0; i < 5000; ++i)
        j.members.push_back("member-with-long-nick-" + std::to_string(i));
    const Bytes frame = encode(j);
    EXPECT_LE(frame.size(), kMaxFrame);
    AnyMessage out;
    ASSERT_EQ(decode(static_cast<std::uint16_t>(MsgType::Joined), body_of(frame), out),
              ErrorCode::None);
    EXPECT_GT(std::get<Joined>(out).members.size(), 1000u);
}

TEST(Codec, MalformedBodiesGetTheirCodes) {
    // Truncated: a str whose length runs past the body.
    EXPECT_EQ(decode_code(MsgType::Join, raw({5, 0, 'a'})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Hello, raw({1})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Ping, raw({1, 2, 3})), ErrorCode::Malformed);
    // Overlong: trailing bytes after the last field.
    EXPECT_EQ(decode_code(MsgType::Ping, raw({1, 2, 3, 4, 5, 6, 7, 8, 9})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::ListRooms, raw({0})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::InfoReq, raw({0})), ErrorCode::Malformed);
    // Out of range values.
    EXPECT_EQ(decode_code(MsgType::Move, cat({str("r"), raw({8, 0})})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Move, cat({str("r"), raw({0, 200})})), ErrorCode::Malformed);
    EXPECT_EQ(decode_code(MsgType::Say, cat({str("r"), str("")})), ErrorCode::Malformed);
    // Bad UTF-8 and forbidden characters.
    EXPECT_EQ(decode_code(MsgType::Join, str("\xff")), ErrorCode::BadUtf8);
    EXPECT_EQ(decode_code(MsgType::Join, str("\xc0\xaf")), ErrorCode::BadUtf8);      // overlong '/'
    EXPECT_EQ(decode_code(MsgType::Join, str("\xed\xa0\x80")), ErrorCode::BadUtf8);  // surrogate
    EXPECT_EQ(decode_code(MsgType::Join, str("\xe6\x97")), ErrorCode::BadUtf8);      // cut short
    EXPECT_EQ(decode_code(MsgType::Join, str(std::string("a\0b", 3))), ErrorCode::BadUtf8);
    EXPECT_EQ(decode_code(MsgType::Say, cat({str("r"), str("tab\there")})), ErrorCode::BadUtf8);
    EXPECT_EQ(decode_code(MsgType::Join, str("new\nline")), ErrorCode::BadUtf8);  // only chat text
    EXPECT_EQ(decode_code(MsgType::Say, cat({str("r"), str("two\nlines")})), ErrorCode::None);
    // Too long chat text.
    EXPECT_EQ(decode_code(MsgType::Say, cat({str("r"), str(std::string(1025, 'x'))})),
              ErrorCode::TooLong);
    EXPECT_EQ(decode_code(MsgType::Say, cat({str("r"), str(std::string(1024, 'x'))})),
              ErrorCode::None);
    EXPECT_EQ(decode_code(MsgType::Whisper, cat({str("b"), str(std::string(1025, 'x'))})),
              ErrorCode::TooLong);
    // Types outside the table.
    EXPECT_EQ(decode_code(static_cast<MsgType>(0x0100), {}), ErrorCode::UnknownType);
    EXPECT_EQ(decode_code(static_cast<MsgType>(0x0006), {}), ErrorCode::UnknownType);
}

// Every encoded frame is whole: its size field counts exactly its bytes, at most kMaxFrame.
template <class T>
T decoded_whole(const T& msg) {
    const Bytes frame = encode(msg);
    EXPECT_LE(frame.size(), kMaxFrame);
    const FrameHeader h = read_header(frame.data());
    EXPECT_EQ(h.size, frame.size());
    AnyMessage out;
    EXPECT_EQ(decode(h.type, body_of(frame), out), ErrorCode::None);
    if (!std::holds_alternative<T>(out)) throw std::runtime_error("not decoded");
    return std::get<T>(out);
}

bool starts_with(const std::string& whole, const std::string& prefix) {
    return whole.compare(0, prefix.size(), prefix) == 0;
}

// Issue 14: a ~64 KiB server name left fewer than 2 bytes for ENGINE; the string cut underflowed,
// ENGINE was written past the frame's end and the size field wrapped (65542 -> 6), so every
// client's stream went out of step at WELCOME.
TEST(Codec, WelcomeWithAServerNameAsLargeAsAFrameStaysOneWholeFrame) {
    for (std::size_t len = 65490; len <= 65560; ++len) {
        SCOPED_TRACE("server name of " + std::to_string(len) + " bytes");
        const Welcome w = decoded_whole(Welcome{7, "ada", std::string(len, 'n'), "epoll"});
        EXPECT_EQ(w.session_id, 7u);
        EXPECT_EQ(w.nick, "ada");
        EXPECT_EQ(w.engine, "epoll");  // the short fields survive: the long one is cut
        EXPECT_TRUE(starts_with(std::string(len, 'n'), w.server_name));
        EXPECT_EQ(w.server_name.size(), std::min(len, kMaxFrame - 4 - 4 - 5 - 2 - 7));
    }
}

TEST(Codec, FixedFieldsAfterAnOversizedStringSurvive) {
    const std::string huge(70000, 'r');
    const Message m = decoded_whole(Message{huge, 9, 123, "ada", "hi"});
    EXPECT_EQ(m.seq, 9u);
    EXPECT_EQ(m.server_time_us, 123u);
    EXPECT_EQ(m.from, "ada");
    EXPECT_EQ(m.text, "hi");
    const Info i = decoded_whole(Info{huge, huge, 1, 2, 3, 4, 5, 6, 7});
    EXPECT_EQ(i.bytes_out, 7u);
    EXPECT_EQ(i.engine.size(), i.platform.size());  // the two longest share the room equally
    const RoomEvent e = decoded_whole(RoomEvent{huge, RoomEventKind::Left, "bob"});
    EXPECT_EQ(e.kind, RoomEventKind::Left);
    EXPECT_EQ(e.nick, "bob");
    EXPECT_EQ(decoded_whole(Echo{std::string(70000, 'e')}).body.size(), kMaxFrame - 4);
}

TEST(Codec, AStringIsCutAtACharacterBoundary) {
    std::string hangul = "ab";                       // so a plain cut would split a character
    for (int i = 0; i < 30000; ++i) hangul += "한";  // 3 bytes each: 90,002 bytes
    const Notice n = decoded_whole(Notice{hangul});  // decoding checks the UTF-8
    EXPECT_EQ((n.text.size() - 2) % 3, 0u);
    EXPECT_GT(n.text.size(), kMaxFrame - 4 - 2 - 3);
    EXPECT_TRUE(starts_with(hangul, n.text));
}

// Found by the encoder fuzzer: a long string of UTF-8 continuation bytes (not UTF-8 at all)
// was cut back to nothing looking for a character boundary. A character is at most 4 bytes.
TEST(Codec, ACutLosesAtMostThreeBytesToACharacterBoundary) {
    const Bytes frame = encode(Notice{std::string(70000, '\xb6')});
    EXPECT_EQ(read_header(frame.data()).size, frame.size());
    EXPECT_GE(frame.size(), kMaxFrame - 3);
}

TEST(Codec, ListsAfterAnOversizedStringAreCutNotOverflowed) {
    Board b{std::string(65520, 'r'), {{"ada", 1, 2}, {"bob", 3, 4}}};
    const Board got = decoded_whole(b);
    EXPECT_LE(got.pieces.size(), 2u);
    for (std::size_t i = 0; i < got.pieces.size(); ++i) EXPECT_EQ(got.pieces[i], b.pieces[i]);
}

TEST(FrameDecoder, FramesComeOutTheSameHoweverTheStreamIsCut) {
    Bytes stream = encode(Welcome{1, "a", "s", "poll"});
    for (const Bytes& f : {encode(Join{"bad name"}), raw({4, 0, 0x99, 0x99}), encode(Ping{7})})
        stream.insert(stream.end(), f.begin(), f.end());
    for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        FrameDecoder d;
        std::vector<DecodedFrame> got;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            d.feed(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)));
            while (auto f = d.next()) got.push_back(std::move(*f));
        }
        ASSERT_EQ(got.size(), 4u) << chunk;
        EXPECT_EQ(std::get<Welcome>(got[0].message).engine, "poll");
        EXPECT_EQ(got[1].error, ErrorCode::None);  // the codec does not judge room names
        EXPECT_EQ(got[2].error, ErrorCode::UnknownType);
        EXPECT_EQ(got[2].header.type, 0x9999);
        EXPECT_EQ(std::get<Ping>(got[3].message).token, 7u);
        EXPECT_EQ(d.buffered(), 0u);
        EXPECT_FALSE(d.broken());
    }
}

TEST(FrameDecoder, ASizeOutsideTheLimitsBreaksTheStreamForGood) {
    FrameDecoder d(100);
    d.feed(encode(Ping{1}));
    d.feed(raw({101, 0, 0x40, 0}));
    d.feed(encode(Ping{2}));
    ASSERT_TRUE(d.next());
    EXPECT_FALSE(d.next());
    ASSERT_TRUE(d.broken());
    EXPECT_EQ(d.broken()->size, 101);
    d.feed(encode(Ping{3}));
    EXPECT_FALSE(d.next()) << "nothing after a broken frame is trusted";
    d.reset();
    d.feed(encode(Ping{4}));
    EXPECT_EQ(std::get<Ping>(d.next()->message).token, 4u);
    FrameDecoder small;
    small.feed(raw({3, 0, 0x40, 0}));
    EXPECT_FALSE(small.next());
    EXPECT_TRUE(small.broken());
}

TEST(TextRules, NamesFollowTheProtocol) {
    EXPECT_TRUE(is_valid_nick("ada"));
    EXPECT_TRUE(is_valid_nick("김철수"));
    EXPECT_TRUE(is_valid_nick(std::string(24, 'x')));
    EXPECT_FALSE(is_valid_nick(std::string(25, 'x')));
    EXPECT_FALSE(is_valid_nick(""));
    EXPECT_FALSE(is_valid_nick("two words"));
    EXPECT_FALSE(is_valid_nick("ideo\xe3\x80\x80space"));  // U+3000
    EXPECT_FALSE(is_valid_nick("nb\xc2\xa0sp"));           // U+00A0
    EXPECT_FALSE(is_valid_nick("del\x7f"));
    EXPECT_FALSE(is_valid_nick("c1\xc2\x85"));
    EXPECT_TRUE(is_valid_room(std::string(32, 'r')));
    EXPECT_FALSE(is_valid_room(std::string(33, 'r')));
    EXPECT_EQ(fold_nick("AdA-Ü"), "ada-Ü");  // only ASCII letters fold
}

}  // namespace
