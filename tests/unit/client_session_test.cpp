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
    EXPECT_EQ(gap->text, "2 messages missed (seq 7..8)");
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
    // Known from a JOIN only: RESUME without replay (compared as a JOINED), for the epoch.
    const auto rejoin = c.rejoin_frames();
    ASSERT_EQ(rejoin.size(), 1u);
    EXPECT_EQ(rejoin[0], encode(Resume{"r", 0, 0, 0}));
    c.hello("a", "");
    c.feed(frame(Welcome{2, "a", "s", "poll"}));
    c.feed(frame(Resumed{"r", 9, 4, 4, {"a"}}));  // 2 and 3 were said while we were away
    EXPECT_EQ(c.rooms().at("r").missed, 2u);
    EXPECT_EQ(c.rooms().at("r").lines.back().kind, ChatLine::Kind::Gap);
    EXPECT_EQ(c.engine(), "poll");
}

// Revision 2: RESUMED says whether anything was lost; the replayed messages follow in order.
TEST(ClientSession, ResumedShowsNoGapAGapOrARoomThatStartedOver) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    EXPECT_EQ(c.resume("r", 0, 0, 50), encode(Resume{"r", 0, 0, 50}));
    c.feed(frame(Resumed{"r", 77, 3, 5, {"a", "b"}}));  // scrollback 3..4, live from 5
    c.feed(frame(Message{"r", 3, 1, "b", "old"}));
    c.feed(frame(Message{"r", 4, 2, "b", "older"}));
    c.feed(frame(Message{"r", 5, 3, "b", "live"}));
    const RoomView* r = &c.rooms().at("r");
    // The scrollback, the divider after its last message, then live.
    ASSERT_EQ(r->lines.size(), 4u);
    EXPECT_EQ(r->lines[2].kind, ChatLine::Kind::Divider);
    EXPECT_EQ(r->lines[2].text, "above: 2 messages from before you joined; live from here");
    EXPECT_EQ(r->lines[3].text, "live");
    EXPECT_EQ(r->epoch, 77u);
    EXPECT_EQ(r->live_seq, 5u);
    EXPECT_EQ(r->next_seq, 6u);
    EXPECT_EQ(r->members, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r->missed, 0u);
    EXPECT_EQ(r->lines.front().seq, 3u);

    c.disconnected();  // back within the history: nothing missed, no gap line
    c.hello("a", "");
    c.feed(frame(Welcome{2, "a", "s", "epoll"}));
    c.feed(frame(Resumed{"r", 77, 6, 7, {"a", "b"}}));
    c.feed(frame(Message{"r", 6, 4, "b", "while away"}));
    r = &c.rooms().at("r");
    EXPECT_EQ(r->missed, 0u);
    EXPECT_EQ(r->lines[r->lines.size() - 2].text, "while away");
    EXPECT_EQ(r->lines.back().text,
              "above: 1 message replayed from the server's history; live "
              "from here");
    for (const ChatLine& line : r->lines) EXPECT_NE(line.kind, ChatLine::Kind::Gap);

    c.feed(frame(Resumed{"r", 77, 10, 12, {"a"}}));  // 7..9 fell out of the history
    r = &c.rooms().at("r");
    EXPECT_EQ(r->missed, 3u);
    EXPECT_EQ(r->lines.back().kind, ChatLine::Kind::Gap);
    EXPECT_NE(r->lines.back().text.find("7..9"), std::string::npos) << r->lines.back().text;

    c.feed(frame(Resumed{"r", 78, 1, 1, {"a"}}));  // another epoch: the room started over
    r = &c.rooms().at("r");
    EXPECT_EQ(r->missed, 3u);
    EXPECT_EQ(r->epoch, 78u);
    EXPECT_EQ(r->next_seq, 1u);
    EXPECT_NE(r->lines.back().text.find("started over"), std::string::npos);
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

TEST(ClientSession, NoticesStandOutInEveryRoom) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    c.feed(frame(Joined{"lobby", 1, {"a"}}));
    c.feed(frame(Joined{"게임", 1, {"a"}}));
    c.feed(frame(Notice{"점검 10시"}));
    for (const auto& [name, r] : c.rooms()) {
        ASSERT_FALSE(r.lines.empty()) << name;
        EXPECT_EQ(r.lines.back().kind, ChatLine::Kind::Notice) << name;
        EXPECT_EQ(r.lines.back().text, "점검 10시");
    }
    EXPECT_EQ(c.notices().back(), "점검 10시");
    for (int i = 0; i < 150; ++i) c.feed(frame(Notice{"n" + std::to_string(i)}));
    EXPECT_EQ(c.notices().size(), 100u);    // the newest kept...
    EXPECT_EQ(c.notices_received(), 151u);  // ...and every one counted, so a view sees new ones
}

TEST(ClientSession, RoomVersionMovesOnEveryChangeAndOnlyThere) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    c.feed(frame(Joined{"r1", 1, {"a"}}));
    c.feed(frame(Joined{"r2", 1, {"a"}}));
    const auto v1 = c.rooms().at("r1").version, v2 = c.rooms().at("r2").version;
    c.feed(frame(Message{"r1", 1, 1, "a", "x"}));
    EXPECT_GT(c.rooms().at("r1").version, v1);
    EXPECT_EQ(c.rooms().at("r2").version, v2);
    c.feed(frame(Board{"r2", {{"a", 0, 0}}}));
    EXPECT_GT(c.rooms().at("r2").version, v2);
    const auto before = c.whispers_received();
    c.feed(frame(Whispered{"b", "a", "hi"}));
    EXPECT_EQ(c.whispers_received(), before + 1);
}

TEST(ClientSession, LostConnectionAndRestartedServerAreShownInTheRooms) {
    ClientSession c;
    c.hello("a", "");
    c.feed(frame(Welcome{1, "a", "s", "epoll"}));
    c.feed(frame(Joined{"r", 1, {"a", "b"}}));
    c.feed(frame(Board{"r", {{"b", 3, 3}}}));
    for (std::uint64_t seq = 1; seq <= 5; ++seq)
        c.feed(frame(Message{"r", seq, seq, "b", "m" + std::to_string(seq)}));
    c.disconnected();
    const RoomView& away = c.rooms().at("r");
    EXPECT_TRUE(away.members.empty());
    EXPECT_TRUE(away.board.empty());
    EXPECT_EQ(away.lines.back().kind, ChatLine::Kind::Event);
    EXPECT_EQ(away.lines.back().text, "connection to the server lost");
    // A new server process counts seq from 1 again: said, not silently accepted.
    c.hello("a", "");
    c.feed(frame(Welcome{2, "a", "s", "epoll"}));
    c.feed(frame(Joined{"r", 1, {"a"}}));
    const RoomView& back = c.rooms().at("r");
    EXPECT_EQ(back.lines.back().kind, ChatLine::Kind::Gap);
    EXPECT_NE(back.lines.back().text.find("restarted"), std::string::npos);
    EXPECT_EQ(back.next_seq, 1u);
    c.feed(frame(Message{"r", 1, 9, "b", "fresh"}));
    EXPECT_EQ(c.rooms().at("r").missed, 0u);
}

TEST(ClientSession, ErrorsAfterLoginReadClearly) {
    EXPECT_NE(ClientSession::explain(ErrorCode::NoSuchUser, "zed").find("Nobody"),
              std::string::npos);
    EXPECT_NE(ClientSession::explain(ErrorCode::NotInRoom, "r").find("not in that room"),
              std::string::npos);
    EXPECT_NE(ClientSession::explain(ErrorCode::RateLimited, "").find("Slow down"),
              std::string::npos);
    EXPECT_NE(ClientSession::explain(ErrorCode::RoomInvalid, "").find("room name"),
              std::string::npos);
}

}  // namespace
