// Each failure of docs/cluster.md with its defined outcome, measured: a node killed, Redis
// restarted empty, a node stopped past Redis' output buffer limit.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>

#include "cluster_fixture.hpp"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST_F(ClusterTest, KilledNodesMembersLeaveAndTheirNicksAreFreedWithin30s) {
    auto a = connect(1), doomed = connect(3);
    a->login("ann");
    doomed->login("dan");
    a->join("room");
    doomed->join("room");
    next_of<chat::RoomEvent>(*a);  // dan joined
    node(3).process->signal(SIGKILL);
    node(3).process->wait_exit(5s);
    node(3).process.reset();
    const auto killed = Clock::now();
    const auto left = next_of<chat::RoomEvent>(*a, 35s);
    const double took = seconds_since(killed);
    EXPECT_EQ(left.nick, "dan");
    EXPECT_EQ(left.kind, chat::RoomEventKind::Left);
    EXPECT_LT(took, 30.0);
    std::printf("[ measured ] the killed node's member left after %.1f s\n", took);
    auto again = connect(2);
    EXPECT_EQ(again->login("dan").nick, "dan");  // free again
    // and the room's order goes on
    a->send(chat::Say{"room", "still here"});
    EXPECT_EQ(next_of<chat::Message>(*a).text, "still here");
}

TEST_F(ClusterTest, RedisUnreachableThenRestartedEmpty) {
    auto a = connect(1), b = connect(2);
    a->login("ann");
    b->login("bob");
    a->send(chat::Resume{"room", 0, 0, 10});
    const auto before = next_of<chat::Resumed>(*a);
    b->join("room");
    a->send(chat::Say{"room", "before"});
    next_of<chat::Message>(*b);

    redis_->stop();
    // Local sessions stay; what needs the cluster is answered `unavailable`.
    const auto lost = Clock::now();
    for (;;) {
        a->send(chat::Say{"room", "while away"});
        const auto answer = a->read(5s);
        if (auto* e = std::get_if<chat::Error>(&answer)) {
            EXPECT_EQ(e->code, chat::ErrorCode::Unavailable);
            break;
        }
        ASSERT_LT(seconds_since(lost), 10.0) << "SAY still went through with Redis gone";
        std::this_thread::sleep_for(100ms);
    }
    a->send(chat::Ping{7});
    EXPECT_EQ(next_of<chat::Pong>(*a).token, 7u);  // still connected

    redis_->start();  // empty: no persistence
    const auto restarted = Clock::now();
    // Each member is told that the room started over: RESUMED under a new epoch.
    const auto again_a = next_of<chat::Resumed>(*a, 20s);
    const double took = seconds_since(restarted);
    SCOPED_TRACE("ann was told; now bob");
    const auto again_b = next_of<chat::Resumed>(*b, 10s);
    SCOPED_TRACE("both were told");
    EXPECT_NE(again_a.epoch, before.epoch);
    EXPECT_EQ(again_a.epoch, again_b.epoch);
    EXPECT_EQ(again_a.next_seq, 1u);
    std::printf("[ measured ] the room started over %.1f s after Redis came back empty\n", took);
    // and the room works again, across nodes, from seq 1
    for (;;) {
        b->send(chat::Say{"room", "after"});
        const auto answer = b->read(5s);
        if (auto* m = std::get_if<chat::Message>(&answer)) {
            EXPECT_EQ(m->text, "after");
            break;
        }
        ASSERT_LT(seconds_since(restarted), 20.0);
        std::this_thread::sleep_for(100ms);
    }
    const auto m = next_of<chat::Message>(*a);
    EXPECT_EQ(m.text, "after");
    EXPECT_GE(m.seq, 1u);
    // Nicks are held again too: a second "ann" is refused.
    auto dup = connect(3);
    dup->send(chat::Hello{chat::kProtocolVersion, "ann", ""});
    const auto deadline = Clock::now() + 6s;
    for (;;) {
        const auto answer = dup->read();
        auto* e = std::get_if<chat::Error>(&answer);
        ASSERT_TRUE(e) << TestClient::describe(answer);
        if (e->code == chat::ErrorCode::NickTaken) break;
        ASSERT_LT(Clock::now(), deadline) << chat::error_name(e->code);
        std::this_thread::sleep_for(200ms);
        dup->send(chat::Hello{chat::kProtocolVersion, "ann", ""});
    }
}

// Stopped longer than its heartbeat's TTL, a node is taken for dead: the others take its
// members out of their rooms and free their nicks. When it runs again, its members that are
// still connected join again (the others see them leave and come back; they themselves miss
// nothing), and one whose nick was taken meanwhile is told so with BYE.
TEST_F(ClusterTest, ANodeTakenForDeadWhileStoppedRejoinsItsRoomsForItsMembers) {
    auto ann = connect(1), sam = connect(2), sid = connect(2);
    ann->login("ann");
    sam->login("sam");
    sid->login("sid");
    ann->join("room");
    const auto joined = sam->join("room");
    sid->join("room");
    for (int i = 0; i < 2; ++i)
        EXPECT_EQ(next_of<chat::RoomEvent>(*ann).kind, chat::RoomEventKind::Joined);
    ann->send(chat::Say{"room", "before"});
    EXPECT_EQ(next_of<chat::Message>(*sam).text, "before");
    node(2).process->signal(SIGSTOP);
    const auto stopped = Clock::now();
    // Both leave, for ann, once node 2's heartbeat has expired.
    std::set<std::string> gone;
    while (gone.size() < 2) {
        const auto e = next_of<chat::RoomEvent>(*ann, 35s);
        ASSERT_EQ(e.kind, chat::RoomEventKind::Left);
        gone.insert(e.nick);
    }
    const double reaped = seconds_since(stopped);
    EXPECT_EQ(gone, (std::set<std::string>{"sam", "sid"}));
    // sid's nick is free: someone else takes it.
    auto other_sid = connect(3);
    EXPECT_EQ(other_sid->login("sid").nick, "sid");
    for (int i = 0; i < 3; ++i) ann->send(chat::Say{"room", "while away " + std::to_string(i)});
    for (int i = 0; i < 3; ++i) next_of<chat::Message>(*ann);
    node(2).process->signal(SIGCONT);
    const auto continued = Clock::now();
    // sam missed nothing, and is told nothing: the messages, in order, with no gap.
    std::uint64_t expect = joined.next_seq + 1;
    for (int i = 0; i < 3; ++i) {
        const auto frame = sam->read(20s);
        if (std::holds_alternative<chat::RoomEvent>(frame)) {
            --i;
            continue;
        }
        const auto* m = std::get_if<chat::Message>(&frame);
        ASSERT_TRUE(m) << TestClient::describe(frame);
        EXPECT_EQ(m->seq, expect++);
        EXPECT_EQ(m->text, "while away " + std::to_string(i));
    }
    // ann sees sam come back.
    const auto back = next_of<chat::RoomEvent>(*ann, 20s);
    EXPECT_EQ(back.kind, chat::RoomEventKind::Joined);
    EXPECT_EQ(back.nick, "sam");
    const double rejoined = seconds_since(continued);
    // sid's nick is the other sid's now: the stopped node's sid is told and dropped.
    const auto bye = next_of<chat::Bye>(*sid, 20s);
    EXPECT_NE(bye.reason.find("taken"), std::string::npos) << bye.reason;
    EXPECT_TRUE(sid->wait_closed());
    // sam is a member again everywhere: its words reach ann, and its nick is held.
    sam->send(chat::Say{"room", "back"});
    EXPECT_EQ(next_of<chat::Message>(*ann, 10s).text, "back");
    EXPECT_EQ(next_of<chat::Message>(*sam, 10s).seq, expect);
    auto dup = connect(1);
    dup->send(chat::Hello{chat::kProtocolVersion, "sam", ""});
    dup->expect_error(chat::ErrorCode::NickTaken);
    ann->send(chat::ListRooms{});
    EXPECT_EQ(next_of<chat::Rooms>(*ann).rooms, (std::vector<chat::RoomSummary>{{"room", 2}}));
    std::printf(
        "[ measured ] taken for dead %.1f s into the stop; members back %.1f s after "
        "SIGCONT\n",
        reaped, rejoined);
}

class StoppedNodeTest : public ClusterTest {
  protected:
    // A subscriber more than 1 MiB behind is cut off at once. (A limit much lower cut off the
    // talker's own node too, when a sanitizer made it slow to read a burst: its SAYs were then
    // answered `unavailable` for a moment, and the test waited for messages never said.)
    std::vector<std::string> redis_arguments() const override {
        return {"--client-output-buffer-limit", "pubsub 1mb 512kb 1"};
    }
    // The streams keep all that is sent while the node sleeps.
    std::vector<std::string> node_arguments() const override { return {"--history", "40000"}; }
    bool cut_off() const {
        std::ifstream log(redis_->log_path());
        const std::string text((std::istreambuf_iterator<char>(log)),
                               std::istreambuf_iterator<char>());
        return text.find("overcoming of output buffer limits") != std::string::npos;
    }
};

TEST_F(StoppedNodeTest, ANodeStoppedTenSecondsCatchesUpFromTheStreams) {
    auto talker = connect(1), sleeper = connect(2);
    talker->login("tom");
    sleeper->login("sam");
    const auto joined = sleeper->join("room");
    talker->join("room");
    node(2).process->signal(SIGSTOP);
    const auto stopped = Clock::now();
    // Past what the kernel's socket buffers hold for the stopped reader (Redis' send buffer,
    // the node's receive buffer, which may have grown up to tcp_rmem's maximum), so that
    // Redis' own buffer for it grows over the limit: bursts of 100 messages (90 KB, which the
    // talker's node reads at once) until Redis says it cut the stopped subscriber off, 40000
    // at most, all kept by the streams.
    const std::string filler(900, 'x');
    int sent = 0;
    while (sent < 40000 && !(sent % 1000 == 0 && cut_off())) {
        for (int i = 0; i < 100; ++i, ++sent)
            talker->send(chat::Say{"room", std::to_string(sent) + " " + filler});
        for (int i = 0; i < 100; ++i) next_of<chat::Message>(*talker, 10s);
    }
    ASSERT_TRUE(cut_off()) << "Redis never cut the stopped subscriber off";
    const int messages = sent;
    std::this_thread::sleep_for(10s - (Clock::now() - stopped));
    node(2).process->signal(SIGCONT);
    const auto continued = Clock::now();
    std::uint64_t expect = joined.next_seq;
    for (int i = 0; i < messages; ++i) {
        const auto m = next_of<chat::Message>(*sleeper, 20s);
        ASSERT_EQ(m.seq, expect++) << "a gap after the node was continued";
        ASSERT_EQ(m.text, std::to_string(i) + " " + filler);
    }
    std::printf("[ measured ] the stopped node's member had all %d messages %.1f s after SIGCONT\n",
                messages, seconds_since(continued));
    // and live traffic goes on
    talker->send(chat::Say{"room", "awake?"});
    EXPECT_EQ(next_of<chat::Message>(*sleeper, 10s).seq, expect);
}

}  // namespace
}  // namespace testing_support
