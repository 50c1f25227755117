// How the client enters rooms with RESUME (protocol revision 2) and shows what it got: the
// scrollback and its divider, no gap after a reconnect within the history, the exact count of
// messages gone beyond it, a room that started over, the fallback to JOIN against a revision 1
// server, and a broken stream from a hostile server. The session is fed bytes; the controller
// runs against scripted servers in this process.
#include <gtest/gtest.h>

#include <algorithm>

#include "chat/client_session.hpp"
#include "client_gui_harness.hpp"
#include "line_summary.hpp"
#include "netcore/engine_registry.hpp"
#include "scripted_server.hpp"
#include "server_under_test.hpp"

using namespace chat;
using namespace std::chrono_literals;
using client_gui::ClientView;
using client_gui::Link;
using client_gui::test_harness::connect_to;
using client_gui::test_harness::Harness;
using testing_support::ScriptedServer;
using testing_support::ServerUnderTest;

namespace {

const std::string kEngine(netcore::default_engine_name());
constexpr auto kMaxReplay = static_cast<std::uint16_t>(RoomView::kMaxLines);

ClientSession logged_in() {
    ClientSession c;
    c.hello("a", "");
    c.feed(encode(Welcome{1, "a", "s", "epoll"}));
    return c;
}

void say(ClientSession& c, const std::string& room, std::uint64_t seq) {
    c.feed(encode(Message{room, seq, seq, "b", "m" + std::to_string(seq)}));
}

std::size_t count_kind(const RoomView& r, ChatLine::Kind kind) {
    return static_cast<std::size_t>(std::count_if(
        r.lines.begin(), r.lines.end(), [&](const ChatLine& l) { return l.kind == kind; }));
}

// The seq of every message line, in the order shown.
std::vector<std::uint64_t> shown_seqs(const RoomView& r) {
    std::vector<std::uint64_t> out;
    for (const auto& l : r.lines)
        if (l.kind == ChatLine::Kind::Message) out.push_back(l.seq);
    return out;
}

std::vector<std::uint64_t> run(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> out;
    for (auto s = from; s <= to; ++s) out.push_back(s);
    return out;
}

TEST(ClientResume, EntersWithScrollbackThenResumesFromTheLastSeqShown) {
    ClientSession c = logged_in();
    EXPECT_EQ(c.enter("lobby"), encode(Resume{"lobby", 0, 0, ClientSession::kScrollback}));
    c.feed(encode(Resumed{"lobby", 42, 8, 10, {"a", "b"}}));
    say(c, "lobby", 8);
    say(c, "lobby", 9);
    // In the room now: entering again is a JOIN (answered with JOINED, changing nothing).
    EXPECT_EQ(c.enter("lobby"), encode(Join{"lobby"}));
    say(c, "lobby", 10);
    c.disconnected();
    const auto frames = c.rejoin_frames();
    ASSERT_EQ(frames.size(), 1u);
    // The last seq shown was 10, in epoch 42; up to a screenful replayed.
    EXPECT_EQ(frames[0], encode(Resume{"lobby", 42, 10, kMaxReplay}));
}

TEST(ClientResume, TheDividerSitsBetweenTheScrollbackAndLive) {
    ClientSession c = logged_in();
    c.enter("lobby");
    c.feed(encode(Resumed{"lobby", 42, 3, 6, {"a", "b"}}));  // 3..5 replayed, live from 6
    say(c, "lobby", 3);
    say(c, "lobby", 4);
    EXPECT_EQ(count_kind(c.rooms().at("lobby"), ChatLine::Kind::Divider), 0u);  // still replaying
    say(c, "lobby", 5);
    const RoomView& r = c.rooms().at("lobby");
    ASSERT_EQ(r.lines.size(), 4u);
    EXPECT_EQ(r.lines.back().kind, ChatLine::Kind::Divider);
    EXPECT_EQ(r.lines.back().text, "above: 3 messages from before you joined; live from here");
    say(c, "lobby", 6);
    say(c, "lobby", 7);
    EXPECT_EQ(count_kind(c.rooms().at("lobby"), ChatLine::Kind::Divider), 1u);
    EXPECT_EQ(shown_seqs(c.rooms().at("lobby")), run(3, 7));

    // A room with no history yet: nothing replayed, no divider.
    c.enter("empty");
    c.feed(encode(Resumed{"empty", 7, 1, 1, {"a"}}));
    say(c, "empty", 1);
    EXPECT_EQ(count_kind(c.rooms().at("empty"), ChatLine::Kind::Divider), 0u);
    EXPECT_EQ(c.rooms().at("empty").missed, 0u);
}

TEST(ClientResume, AReconnectWithinTheHistoryShowsEveryMessageOnceAndNoGap) {
    ClientSession c = logged_in();
    c.enter("r");
    c.feed(encode(Resumed{"r", 5, 1, 1, {"a", "b"}}));
    for (std::uint64_t s = 1; s <= 4; ++s) say(c, "r", s);
    c.disconnected();
    c.hello("a", "");
    c.feed(encode(Welcome{2, "a", "s", "epoll"}));
    EXPECT_EQ(c.rejoin_frames()[0], encode(Resume{"r", 5, 4, kMaxReplay}));
    c.feed(encode(Resumed{"r", 5, 5, 8, {"a", "b"}}));  // 5..7 said while we were away
    for (std::uint64_t s = 5; s <= 9; ++s) say(c, "r", s);
    const RoomView& r = c.rooms().at("r");
    EXPECT_EQ(shown_seqs(r), run(1, 9));
    EXPECT_EQ(r.missed, 0u);
    EXPECT_EQ(count_kind(r, ChatLine::Kind::Gap), 0u);
    EXPECT_EQ(count_kind(r, ChatLine::Kind::Divider), 1u);
    EXPECT_EQ(r.next_seq, 10u);

    // A server that replays what was shown already (it should not): not shown twice.
    c.disconnected();
    c.hello("a", "");
    c.feed(encode(Welcome{3, "a", "s", "epoll"}));
    c.rejoin_frames();
    c.feed(encode(Resumed{"r", 5, 8, 10, {"a"}}));
    for (std::uint64_t s = 8; s <= 10; ++s) say(c, "r", s);
    EXPECT_EQ(shown_seqs(c.rooms().at("r")), run(1, 10));
    EXPECT_EQ(count_kind(c.rooms().at("r"), ChatLine::Kind::Gap), 0u);
}

TEST(ClientResume, BeyondTheHistoryTheRoomShowsExactlyHowManyAreGone) {
    ClientSession c = logged_in();
    c.enter("r");
    c.feed(encode(Resumed{"r", 5, 1, 1, {"a"}}));
    for (std::uint64_t s = 1; s <= 3; ++s) say(c, "r", s);
    c.disconnected();
    c.hello("a", "");
    c.feed(encode(Welcome{2, "a", "s", "epoll"}));
    c.rejoin_frames();
    // 4..1003 were said; the server kept the last 1000 of them (7..1006 minus the live one).
    c.feed(encode(Resumed{"r", 5, 7, 1007, {"a"}}));
    const RoomView& r = c.rooms().at("r");
    EXPECT_EQ(r.missed, 3u);
    EXPECT_EQ(r.lines.back().kind, ChatLine::Kind::Gap);
    EXPECT_EQ(r.lines.back().text,
              "3 messages missed (seq 4..6) (older than the server's history)");
    for (std::uint64_t s = 7; s <= 1007; ++s) say(c, "r", s);
    EXPECT_EQ(c.rooms().at("r").missed, 3u);
    EXPECT_EQ(count_kind(c.rooms().at("r"), ChatLine::Kind::Gap), 1u);
    EXPECT_EQ(c.rooms().at("r").lines[c.rooms().at("r").lines.size() - 2].text,
              "above: 1000 messages replayed from the server's history; live from here");

    // One message gone reads as one.
    c.disconnected();
    c.hello("a", "");
    c.feed(encode(Welcome{3, "a", "s", "epoll"}));
    c.rejoin_frames();
    c.feed(encode(Resumed{"r", 5, 1009, 1009, {"a"}}));
    EXPECT_EQ(c.rooms().at("r").lines.back().text,
              "1 message missed (seq 1008) (older than the server's history)");
    EXPECT_EQ(c.rooms().at("r").missed, 4u);
}

TEST(ClientResume, ANewEpochIsARoomThatStartedOver) {
    ClientSession c = logged_in();
    c.enter("r");
    c.feed(encode(Resumed{"r", 5, 1, 1, {"a"}}));
    for (std::uint64_t s = 1; s <= 30; ++s) say(c, "r", s);
    c.disconnected();
    c.hello("a", "");
    c.feed(encode(Welcome{2, "a", "s", "epoll"}));
    c.rejoin_frames();
    c.feed(encode(Resumed{"r", 6, 1, 3, {"a", "b"}}));  // restarted; 2 said since
    say(c, "r", 1);
    say(c, "r", 2);
    const RoomView& r = c.rooms().at("r");
    EXPECT_EQ(r.epoch, 6u);
    EXPECT_EQ(r.missed, 0u);  // unknown, so not counted: said instead
    ASSERT_GE(r.lines.size(), 4u);
    const ChatLine& started = r.lines[r.lines.size() - 4];
    EXPECT_EQ(started.kind, ChatLine::Kind::Gap);
    EXPECT_NE(started.text.find("the room started over"), std::string::npos) << started.text;
    EXPECT_EQ(r.lines[r.lines.size() - 3].text, "m1");
    EXPECT_EQ(r.lines.back().kind, ChatLine::Kind::Divider);
    say(c, "r", 3);
    EXPECT_EQ(c.rooms().at("r").next_seq, 4u);
}

TEST(ClientResume, ARevision1ServerIsAnsweredWithJoin) {
    ClientSession c = logged_in();
    c.enter("lobby");
    c.enter("보드게임");
    EXPECT_TRUE(c.resume_supported());
    const auto unknown = Error{ErrorCode::UnknownType, 0x0017, "unknown type"};
    c.feed(encode(unknown));
    EXPECT_FALSE(c.resume_supported());
    c.feed(encode(unknown));
    // Each RESUME refused is entered with JOIN, in the order they were sent.
    EXPECT_EQ(c.take_outgoing(),
              (std::vector<Bytes>{encode(Join{"lobby"}), encode(Join{"보드게임"})}));
    EXPECT_TRUE(c.take_outgoing().empty());
    EXPECT_EQ(c.enter("r3"), encode(Join{"r3"}));  // no more RESUME on this connection
    c.feed(encode(Joined{"lobby", 4, {"a"}}));
    say(c, "lobby", 4);
    // The next connection may be to a newer server: it is asked again, without a replay
    // (seq known from JOIN only) but with its epoch from then on.
    c.disconnected();
    EXPECT_TRUE(c.resume_supported());
    c.hello("a", "");
    c.feed(encode(Welcome{2, "a", "s", "epoll"}));
    EXPECT_EQ(c.enter("lobby"), encode(Resume{"lobby", 0, 0, 0}));
    c.feed(encode(Resumed{"lobby", 9, 7, 7, {"a"}}));  // 5 and 6 were said meanwhile
    EXPECT_EQ(c.rooms().at("lobby").missed, 2u);
    EXPECT_EQ(c.rooms().at("lobby").epoch, 9u);

    // Other refusals of a RESUME are shown like a JOIN's, with no fallback.
    c.enter("bad room");
    c.feed(encode(Error{ErrorCode::RoomInvalid, 0x0017, "room"}));
    EXPECT_TRUE(c.take_outgoing().empty());
    EXPECT_TRUE(c.resume_supported());
    // An ERROR about a RESUME nobody sent changes nothing.
    c.feed(encode(unknown));
    EXPECT_TRUE(c.take_outgoing().empty());
}

// The server puts room names in NFC (revision 2), so a RESUMED may spell the room otherwise
// than the RESUME did; answers come in order all the same, and each one answers one RESUME.
TEST(ClientResume, AnAnswerSpelledInNfcStillAnswersItsResume) {
    ClientSession c = logged_in();
    const std::string decomposed = "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab";  // 한 as jamo
    const std::string composed = "\xed\x95\x9c";                            // 한 (U+D55C)
    c.enter(decomposed);
    c.enter("bad room");
    c.feed(encode(Resumed{composed, 5, 1, 1, {"a"}}));
    c.feed(encode(Error{ErrorCode::RoomInvalid, 0x0017, "room"}));
    EXPECT_EQ(c.rooms().at(composed).epoch, 5u);
    // Both RESUMEs are answered: an ERROR about a RESUME nobody sent changes nothing.
    c.feed(encode(Error{ErrorCode::UnknownType, 0x0017, "unknown type"}));
    EXPECT_TRUE(c.take_outgoing().empty());
    EXPECT_TRUE(c.resume_supported());
}

TEST(ClientResume, ABrokenStreamClosesTheSessionWithTheReason) {
    ClientSession c = logged_in();
    EXPECT_TRUE(c.broken_stream().empty());
    const std::byte runt[4] = {std::byte{2}, std::byte{0}, std::byte{0x40}, std::byte{0}};
    c.feed(runt);
    EXPECT_EQ(c.state(), ClientState::Closed);
    EXPECT_NE(c.broken_stream().find("frame of 2 bytes"), std::string::npos) << c.broken_stream();
    c.disconnected();
    c.hello("a", "");
    EXPECT_TRUE(c.broken_stream().empty());  // a new stream
}

TEST(ClientResume, TheLinesSummaryShowsRepeatsAndMarkers) {
    using client_gui::summarise_lines;
    EXPECT_EQ(summarise_lines({}), "seqs=- gaps=0 dividers=0");
    ClientSession c = logged_in();
    c.enter("r");
    c.feed(encode(Resumed{"r", 5, 1, 3, {"a"}}));
    for (std::uint64_t s = 1; s <= 4; ++s) say(c, "r", s);
    c.feed(encode(RoomEvent{"r", RoomEventKind::Joined, "b"}));
    say(c, "r", 5);
    say(c, "r", 7);
    EXPECT_EQ(summarise_lines(c.rooms().at("r").lines), "seqs=1-5,7 gaps=1 dividers=1");
    std::deque<ChatLine> repeated;
    for (std::uint64_t s : {1, 2, 3, 2, 3, 4}) repeated.push_back(ChatLine{s, 0, "b", "x"});
    EXPECT_EQ(summarise_lines(repeated), "seqs=1-3,2-4 gaps=0 dividers=0");
}

// ---- the controller against scripted servers ----

TEST(ClientControllerResume, FallsBackToJoinAgainstARevision1Server) {
    ScriptedServer server(kEngine, {});
    Harness h;
    h.command(connect_to(server.port(), "민수"));
    auto v = h.wait([](const ClientView& v) {
        return v.link == Link::Ready && v.rooms.count("lobby") && v.rooms.count("보드게임") &&
               !v.rooms.at("lobby")->members.empty() && !v.rooms.at("보드게임")->members.empty();
    });
    ASSERT_TRUE(v) << "never entered both rooms";
    EXPECT_EQ(server.count(MsgType::Resume), 2);
    EXPECT_EQ(server.count(MsgType::Join), 2);
    EXPECT_TRUE(v->last_error.empty())
        << "the fallback is no error for the user: " << v->last_error;
    h.command(client_gui::SayText{"lobby", "still works"});
    ASSERT_TRUE(h.wait([](const ClientView& v) {
        return client_gui::test_harness::has_line(v, "lobby", "still works");
    }));
    // Later joins on this connection go straight to JOIN.
    h.command(client_gui::JoinRoom{"later"});
    ASSERT_TRUE(h.wait([](const ClientView& v) { return v.rooms.count("later") > 0; }));
    EXPECT_EQ(server.count(MsgType::Resume), 2);
    EXPECT_EQ(server.count(MsgType::Join), 3);
}

TEST(ClientControllerResume, ABrokenStreamDropsTheConnectionSaysWhyAndReconnects) {
    ScriptedServer::Script script;
    script.break_stream_after_welcome = true;
    ScriptedServer server(kEngine, script);
    Harness h;
    h.command(connect_to(server.port(), "민수"));
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Retrying; });
    ASSERT_TRUE(v) << "still connected to a server whose stream broke";
    EXPECT_NE(v->problem.find("frame of 2 bytes"), std::string::npos) << v->problem;
    // It comes back as after any loss, and each broken stream in a row waits longer.
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return server.connections() >= 3; }, 10s));
    v = h.wait([](const ClientView& v) { return v.attempt >= 3; });
    ASSERT_TRUE(v) << "the backoff does not grow over broken streams";
}

}  // namespace
