// The client's protocol state, fed with bytes: no sockets, no window.
#include <gtest/gtest.h>

#include "chat/client_session.hpp"

using namespace chat;

namespace {

template <class T>
Bytes frame(const T& msg) {
    return encode(msg);
}

TEST(ClientSession, WelcomeMakesItReady) {
    ClientSession c;
    c.hello("ada", "");
    EXPECT_EQ(c.state(), ClientState::Handshake);
    c.feed(frame(Welcome{7, "ada", "srv", "epoll"}));
    EXPECT_EQ(c.state(), ClientState::Ready);
    EXPECT_EQ(c.engine(), "epoll");
    EXPECT_EQ(c.server_name(), "srv");
}

TEST(ClientSession, EveryRefusalHasAClearMessage) {
    for (auto [code, words] : std::vector<std::pair<ErrorCode, std::string>>{
             {ErrorCode::NickTaken, "already in use"},
             {ErrorCode::BadPassword, "Wrong server password"},
             {ErrorCode::ServerFull, "full"},
             {ErrorCode::VersionUnsupported, "protocol version"},
             {ErrorCode::NickInvalid, "not allowed"}}) {
        ClientSession c;
        c.hello("ada", "");
        c.feed(frame(
            Error{code, static_cast<std::uint16_t>(code == ErrorCode::ServerFull ? 0 : 1), "x"}));
        ASSERT_TRUE(c.refusal().has_value()) << error_name(code);
        EXPECT_NE(c.refusal()->text.find(words), std::string::npos) << c.refusal()->text;
        EXPECT_EQ(c.state(), ClientState::Refused);
    }
}

TEST(ClientSession, FramesSplitAnywhereAreReassembled) {
    Bytes stream = frame(Welcome{1, "a", "s", "poll"});
    const Bytes j = frame(Joined{"lobby", 1, {"a"}});
    stream.insert(stream.end(), j.begin(), j.end());
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        ClientSession c;
        c.hello("a", "");
        c.feed(std::span(stream).first(cut));
        c.feed(std::span(stream).subspan(cut));
        EXPECT_EQ(c.state(), ClientState::Ready);
        ASSERT_EQ(c.rooms().count("lobby"), 1u) << cut;
    }
}

TEST(ClientSession, RoomsMembersMessagesAndGaps) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    c.feed(frame(Joined{"lobby", 5, {"a", "b"}}));
    c.feed(frame(RoomEvent{"lobby", RoomEventKind::Joined, "c"}));
    EXPECT_EQ(c.rooms().at("lobby").members, (std::vector<std::string>{"a", "b", "c"}));
    c.feed(frame(Message{"lobby", 5, 1, "b", "hi"}));
    c.feed(frame(Message{"lobby", 6, 2, "c", "yo"}));
    EXPECT_EQ(c.rooms().at("lobby").missed, 0u);
    c.feed(frame(Message{"lobby", 9, 3, "b", "after a gap"}));  // 7 and 8 lost
    const RoomView& r = c.rooms().at("lobby");
    EXPECT_EQ(r.missed, 2u);
    EXPECT_EQ(r.next_seq, 10u);
    const auto gap = std::find_if(r.lines.begin(), r.lines.end(),
                                  [](const ChatLine& l) { return l.kind == ChatLine::Kind::Gap; });
    ASSERT_NE(gap, r.lines.end());
    EXPECT_EQ(gap->text, "missed messages 7..8");
    c.feed(frame(RoomEvent{"lobby", RoomEventKind::Left, "b"}));
    EXPECT_EQ(c.rooms().at("lobby").members, (std::vector<std::string>{"a", "c"}));
}

TEST(ClientSession, ReconnectRejoinsAndMarksWhatWasMissed) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    c.feed(frame(Joined{"r", 1, {"a"}}));
    c.feed(frame(Message{"r", 1, 1, "a", "one"}));
    c.disconnected();
    EXPECT_EQ(c.state(), ClientState::Disconnected);
    const auto rejoin = c.rejoin_frames();
    ASSERT_EQ(rejoin.size(), 1u);
    EXPECT_EQ(rejoin[0], encode(Join{"r"}));
    c.hello("a", "");
    c.feed(frame(Welcome{2, "a", "s", "poll"}));
    c.feed(frame(Joined{"r", 4, {"a"}}));  // 2 and 3 were said while we were away
    EXPECT_EQ(c.rooms().at("r").missed, 2u);
    EXPECT_EQ(c.rooms().at("r").lines.back().kind, ChatLine::Kind::Gap);
    EXPECT_EQ(c.engine(), "poll");
}

TEST(ClientSession, BoardWhispersNoticesAndRtt) {
    ClientSession c;
    const auto t0 = ClientSession::Clock::now();
    const Bytes ping = c.ping(t0);
    AnyMessage decoded;
    ASSERT_EQ(decode(0x0040, std::span(ping).subspan(4), decoded), ErrorCode::None);
    c.feed(frame(Pong{std::get<Ping>(decoded).token}), t0 + std::chrono::milliseconds(3));
    ASSERT_TRUE(c.rtt().has_value());
    EXPECT_EQ(c.rtt()->count(), 3000);
    c.feed(frame(Board{"r", {{"a", 1, 1}, {"b", 2, 2}}}));
    EXPECT_EQ(c.rooms().at("r").board.size(), 2u);
    c.feed(frame(Whispered{"b", "a", "psst"}));
    EXPECT_EQ(c.whispers().back().text, "psst");
    c.feed(frame(Notice{"restart at 5"}));
    EXPECT_EQ(c.notices().back(), "restart at 5");
}

TEST(ClientSession, TextLimitIsCheckedBeforeSending) {
    ClientSession c;
    EXPECT_TRUE(c.say("r", std::string(1024, 'x')).has_value());
    EXPECT_FALSE(c.say("r", std::string(1025, 'x')).has_value());
    EXPECT_FALSE(c.say("r", "").has_value());
    EXPECT_FALSE(c.whisper("b", std::string(2000, 'x')).has_value());
}

}  // namespace
