// History and RESUME (docs/protocol.md, "History and resume", revision 2) and NFC names, on
// every engine: real sockets on loopback, what a client sees.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

chat::ServiceConfig with_history(std::size_t per_room) {
    chat::ServiceConfig c = test_service_config();
    c.history_per_room = per_room;
    return c;
}

// The next frame that is not a ROOM_EVENT or a BOARD (which come and go with other members).
chat::AnyMessage next_chat_frame(TestClient& c) {
    for (;;) {
        chat::AnyMessage m = c.read();
        if (!std::holds_alternative<chat::RoomEvent>(m) && !std::holds_alternative<chat::Board>(m))
            return m;
    }
}

template <class T>
T expect_chat(TestClient& c) {
    chat::AnyMessage m = next_chat_frame(c);
    if (auto* t = std::get_if<T>(&m)) return std::move(*t);
    throw std::runtime_error("unexpected " + TestClient::describe(m));
}

// Says `n` messages ("<prefix>1".."<prefix>n") and reads them back: seq first..first+n-1.
void say_many(TestClient& c, const std::string& room, int n, const std::string& prefix = "m") {
    for (int i = 1; i <= n; ++i) c.send(chat::Say{room, prefix + std::to_string(i)});
    for (int i = 1; i <= n; ++i) expect_chat<chat::Message>(c);
}

chat::Resumed resume(TestClient& c, const std::string& room, std::uint64_t epoch,
                     std::uint64_t after_seq, std::uint16_t max_replay) {
    c.send(chat::Resume{room, epoch, after_seq, max_replay});
    return expect_chat<chat::Resumed>(c);
}

// The replay that follows a RESUMED: every seq from next_seq to live_seq - 1, in order.
std::vector<chat::Message> replay_of(TestClient& c, const chat::Resumed& r) {
    std::vector<chat::Message> out;
    for (std::uint64_t seq = r.next_seq; seq < r.live_seq; ++seq) {
        out.push_back(expect_chat<chat::Message>(c));
        EXPECT_EQ(out.back().seq, seq);
        EXPECT_EQ(out.back().room, r.room);
    }
    return out;
}

class History : public ::testing::TestWithParam<std::string> {};

TEST_P(History, AFreshResumeGetsTheLatestMessagesAsScrollbackThenLiveTraffic) {
    ServerUnderTest server(GetParam());
    TestClient ada(server.port()), bob(server.port());
    ada.login("ada");
    bob.login("bob");
    ada.join("lobby");
    say_many(ada, "lobby", 5);

    const chat::Resumed r = resume(bob, "lobby", 0, 0, 3);
    EXPECT_NE(r.epoch, 0u);
    EXPECT_EQ(r.next_seq, 3u);
    EXPECT_EQ(r.live_seq, 6u);
    EXPECT_EQ(r.members, (std::vector<std::string>{"ada", "bob"}));
    const auto replay = replay_of(bob, r);
    ASSERT_EQ(replay.size(), 3u);
    EXPECT_EQ(replay[0].text, "m3");
    EXPECT_EQ(replay[2].text, "m5");
    EXPECT_EQ(replay[2].from, "ada");
    EXPECT_GT(replay[2].server_time_us, 0u);
    // RESUME joins as JOIN does: the others see bob arrive, and he gets what follows.
    EXPECT_EQ(ada.expect<chat::RoomEvent>().nick, "bob");
    ada.send(chat::Say{"lobby", "live"});
    const auto live = expect_chat<chat::Message>(bob);
    EXPECT_EQ(live.seq, 6u);
    EXPECT_EQ(live.text, "live");
    // A JOIN never sees an epoch, and its seq is the same count.
    TestClient cy(server.port());
    cy.login("cy");
    EXPECT_EQ(cy.join("lobby").next_seq, 7u);
    // Scrollback of an empty room: RESUMED, then nothing but live traffic.
    const chat::Resumed empty = resume(bob, "quiet", 0, 0, 50);
    EXPECT_EQ(empty.next_seq, 1u);
    EXPECT_EQ(empty.live_seq, 1u);
    EXPECT_NE(empty.epoch, r.epoch) << "every room's history has an epoch of its own";
}

TEST_P(History, AResumeInTheSameEpochMissesNothingAndRepeatsNothing) {
    ServerUnderTest server(GetParam());
    TestClient ada(server.port());
    ada.login("ada");
    ada.join("r");
    say_many(ada, "r", 4);
    std::uint64_t epoch = 0, last_seen = 0;
    {
        TestClient bob(server.port());
        bob.login("bob");
        const chat::Resumed r = resume(bob, "r", 0, 0, 100);
        epoch = r.epoch;
        last_seen = replay_of(bob, r).back().seq;
        EXPECT_EQ(last_seen, 4u);
        bob.reset();  // the connection drops
    }
    ada.expect<chat::RoomEvent>();
    say_many(ada, "r", 3, "away");  // seq 5..7, said while bob was gone
    TestClient bob(server.port());
    bob.login("bob-again");  // "bob" may not be free yet: the close and the nick race
    const chat::Resumed r = resume(bob, "r", epoch, last_seen, 100);
    EXPECT_EQ(r.epoch, epoch);
    EXPECT_EQ(r.next_seq, last_seen + 1) << "nothing was missed: no gap";
    EXPECT_EQ(r.live_seq, 8u);
    const auto replay = replay_of(bob, r);
    ASSERT_EQ(replay.size(), 3u);
    EXPECT_EQ(replay.front().text, "away1");
    ada.send(chat::Say{"r", "back"});
    EXPECT_EQ(expect_chat<chat::Message>(bob).seq, 8u);
    // Resuming a room one is in again: RESUMED again, the replay asked for, no ROOM_EVENT.
    const chat::Resumed again = resume(bob, "r", epoch, 6, 100);
    EXPECT_EQ(again.next_seq, 7u);
    EXPECT_EQ(again.live_seq, 9u);
    EXPECT_EQ(replay_of(bob, again).size(), 2u);
    ada.send(chat::Say{"r", "after"});
    EXPECT_EQ(expect_chat<chat::Message>(bob).seq, 9u);
}

TEST_P(History, AForeignEpochIsTreatedAsUnknown) {
    ServerUnderTest server(GetParam());
    TestClient ada(server.port()), bob(server.port());
    ada.login("ada");
    bob.login("bob");
    ada.join("r");
    say_many(ada, "r", 20);
    const chat::Resumed fresh = resume(bob, "r", 0, 0, 0);  // max_replay 0: no scrollback
    EXPECT_EQ(fresh.next_seq, 21u);
    EXPECT_EQ(fresh.live_seq, 21u);
    bob.send(chat::Leave{"r"});
    bob.expect<chat::Left>();
    // after_seq 2 of another epoch says nothing: the latest 5, as for epoch 0.
    const chat::Resumed r = resume(bob, "r", fresh.epoch ^ 0x5A5A, 2, 5);
    EXPECT_EQ(r.epoch, fresh.epoch);
    EXPECT_EQ(r.next_seq, 16u);
    EXPECT_EQ(r.live_seq, 21u);
    EXPECT_EQ(replay_of(bob, r).front().text, "m16");
}

TEST_P(History, TheHistoryIsCappedAndTheLostCountIsExact) {
    ServerUnderTest server(GetParam(), with_history(5));
    TestClient ada(server.port()), bob(server.port());
    ada.login("ada");
    bob.login("bob");
    ada.join("r");
    say_many(ada, "r", 12);  // seq 1..12; the room keeps 8..12
    const chat::Resumed first = resume(bob, "r", 0, 0, 1000);
    EXPECT_EQ(first.next_seq, 8u);
    replay_of(bob, first);
    bob.send(chat::Leave{"r"});
    bob.expect<chat::Left>();
    // Seen up to 2: 3..7 are gone for good, exactly 5.
    const chat::Resumed r = resume(bob, "r", first.epoch, 2, 1000);
    EXPECT_EQ(r.next_seq, 8u);
    EXPECT_EQ(r.next_seq - 2 - 1, 5u);
    EXPECT_EQ(replay_of(bob, r).size(), 5u);
    bob.send(chat::Leave{"r"});
    bob.expect<chat::Left>();
    // max_replay cuts the replay to the newest: 3..9 lost, 10..12 replayed.
    const chat::Resumed cut = resume(bob, "r", first.epoch, 2, 3);
    EXPECT_EQ(cut.next_seq, 10u);
    EXPECT_EQ(replay_of(bob, cut).front().text, "m10");
    // With no history kept at all, RESUME still says exactly what was lost.
    ServerUnderTest none(GetParam(), with_history(0));
    TestClient a2(none.port()), b2(none.port());
    a2.login("ada");
    b2.login("bob");
    a2.join("r");
    say_many(a2, "r", 4);
    const chat::Resumed nothing = resume(b2, "r", 0, 0, 100);
    EXPECT_EQ(nothing.next_seq, 5u);
    EXPECT_EQ(nothing.live_seq, 5u);
}

// Three members talk as fast as they can while a fourth drops and resumes again and again: it
// must see every message of the room exactly once, each resume continuing where it was.
TEST_P(History, AResumeRacingABusyRoomMeetsTheLiveTrafficWithNoGapAndNoRepeat) {
    ServerUnderTest server(GetParam(), with_history(100000));
    constexpr int kTalkers = 3, kEach = 400;
    std::vector<TestClient> talkers;
    for (int i = 0; i < kTalkers; ++i) {
        talkers.emplace_back(server.port());
        talkers.back().login("talker" + std::to_string(i));
        talkers.back().join("busy");
    }
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kTalkers; ++i)
        threads.emplace_back([&, i] {
            while (!go) std::this_thread::yield();
            for (int n = 0; n < kEach; ++n)
                talkers[i].send(
                    chat::Say{"busy", "t" + std::to_string(i) + "-" + std::to_string(n)});
        });
    const std::uint64_t total = kTalkers * kEach;
    std::uint64_t epoch = 0, last = 0;
    std::multiset<std::string> seen;
    go = true;
    int resumes = 0;
    while (last < total) {
        TestClient me(server.port());
        me.login("resumer" + std::to_string(resumes));  // the last one's nick may not be free yet
        const chat::Resumed r = resume(me, "busy", epoch, last, 0xFFFF);
        if (epoch != 0) {
            ASSERT_EQ(r.epoch, epoch);
            ASSERT_EQ(r.next_seq, last + 1) << "resume " << resumes << ": a gap";
        }
        epoch = r.epoch;
        ++resumes;
        // Read a stretch (replay then live), then drop the connection mid-stream.
        const std::uint64_t stop_at = std::min<std::uint64_t>(total, last + 150);
        while (last < stop_at) {
            const auto m = expect_chat<chat::Message>(me);
            ASSERT_EQ(m.seq, last + 1) << "resume " << resumes;
            seen.insert(m.text);
            last = m.seq;
        }
        me.reset();
    }
    for (auto& t : threads) t.join();
    EXPECT_GE(resumes, 3);
    EXPECT_EQ(seen.size(), total);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), total) << "a repeat";
}

// A new server process (here a new service on the same engine) has none of the old history:
// its epoch differs, and a client that resumes with the old one learns the room started over.
TEST_P(History, TheEpochChangesWhenTheServerStartsAgain) {
    std::uint64_t old_epoch = 0;
    {
        ServerUnderTest server(GetParam());
        TestClient ada(server.port());
        ada.login("ada");
        const chat::Resumed r = resume(ada, "r", 0, 0, 10);
        old_epoch = r.epoch;
        say_many(ada, "r", 3);
    }
    ServerUnderTest server(GetParam());
    TestClient ada(server.port());
    ada.login("ada");
    const chat::Resumed r = resume(ada, "r", old_epoch, 3, 10);
    EXPECT_NE(r.epoch, old_epoch);
    EXPECT_EQ(r.next_seq, 1u);
    EXPECT_EQ(r.live_seq, 1u);
}

TEST_P(History, BadResumeBodiesAndNamesGetTheirErrorsAndTheConnectionStays) {
    ServerUnderTest server(GetParam());
    TestClient c(server.port());
    auto frame = [](std::uint16_t type, std::initializer_list<int> body) {
        std::string f;
        const std::size_t size = 4 + body.size();
        f += static_cast<char>(size & 0xFF), f += static_cast<char>(size >> 8);
        f += static_cast<char>(type & 0xFF), f += static_cast<char>(type >> 8);
        for (int b : body) f += static_cast<char>(b);
        return f;
    };
    c.send(chat::Resume{"r", 0, 0, 1});  // before HELLO
    EXPECT_EQ(c.expect_error(chat::ErrorCode::NotLoggedIn).in_reply_to, 0x0017);
    c.login("ada");
    // Cut short: room "r", epoch, and no after_seq or max_replay.
    c.send_raw(frame(0x0017, {1, 0, 'r', 1, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(c.expect_error(chat::ErrorCode::Malformed).in_reply_to, 0x0017);
    // A byte past max_replay.
    c.send_raw(frame(0x0017, {1, 0, 'r', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 9}));
    c.expect_error(chat::ErrorCode::Malformed);
    c.send_raw(frame(0x0017, {1, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0}));
    c.expect_error(chat::ErrorCode::BadUtf8);
    c.send(chat::Resume{"two words", 0, 0, 5});
    c.expect_error(chat::ErrorCode::RoomInvalid);
    c.send(chat::Resume{std::string(33, 'r'), 0, 0, 5});
    c.expect_error(chat::ErrorCode::RoomInvalid);
    c.send(chat::Resume{"", 0, 0, 5});
    c.expect_error(chat::ErrorCode::RoomInvalid);
    c.send(chat::Resumed{"r", 1, 1, 1, {}});  // a server's message
    EXPECT_EQ(c.expect_error(chat::ErrorCode::UnknownType).in_reply_to, 0x0018);
    // Still connected, still in no room, and a good RESUME works.
    c.send(chat::Ping{42});
    EXPECT_EQ(c.expect<chat::Pong>().token, 42u);
    c.send(chat::Resume{"r", ~0ull, ~0ull, 0xFFFF});
    const auto r = c.expect<chat::Resumed>();
    EXPECT_EQ(r.next_seq, 1u);
    EXPECT_EQ(r.members, std::vector<std::string>{"ada"});
}

// "가나" typed as conjoining jamo (as macOS sends it) and precomposed: one name.
TEST_P(History, NicksAndRoomsAreComparedInNfc) {
    const std::string jamo = "\xE1\x84\x80\xE1\x85\xA1\xE1\x84\x82\xE1\x85\xA1";  // U+1100 U+1161..
    const std::string precomposed = "\xEA\xB0\x80\xEB\x82\x98";                   // U+AC00 U+B098
    ServerUnderTest server(GetParam());
    TestClient a(server.port()), b(server.port()), c(server.port());
    EXPECT_EQ(a.login(jamo).nick, precomposed) << "WELCOME carries the normalised nick";
    b.send(chat::Hello{1, precomposed, ""});
    b.expect_error(chat::ErrorCode::NickTaken);
    c.login("cy");
    c.send(chat::Hello{1, jamo, ""});  // a second HELLO on a logged-in session
    c.expect_error(chat::ErrorCode::AlreadyLoggedIn);
    // 8 syllables: 48 bytes as jamo, 24 once composed, within the nick limit.
    std::string long_jamo;
    for (int i = 0; i < 8; ++i) long_jamo += "\xE1\x84\x80\xE1\x85\xA1";
    EXPECT_EQ(b.login(long_jamo).nick.size(), 24u);

    const auto joined = a.join(jamo);
    EXPECT_EQ(joined.room, precomposed);
    const chat::Resumed r = resume(c, precomposed, 0, 0, 10);
    EXPECT_EQ(r.room, precomposed);
    EXPECT_EQ(r.members, (std::vector<std::string>{precomposed, "cy"}));
    a.expect<chat::RoomEvent>();
    c.send(chat::Say{jamo, "hi"});  // SAY names the room either way
    EXPECT_EQ(expect_chat<chat::Message>(a).room, precomposed);
    c.send(chat::Whisper{jamo, "psst"});
    EXPECT_EQ(a.expect<chat::Whispered>().to, precomposed);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, History, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

}  // namespace
