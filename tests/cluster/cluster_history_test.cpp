// The cluster's history and joins (docs/cluster.md, "History"): a RESUME of a room one is in
// already answered from the shared history, wherever the room's messages were said; a join of
// a nick Redis still has as a member, or whose nick is another node's; a stream trimmed past
// what a lagging node missed, told to its members as the exact gap.
#include <signal.h>

#include "cluster_fixture.hpp"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

std::vector<chat::Message> messages(TestClient& c, std::size_t n) {
    std::vector<chat::Message> out;
    while (out.size() < n) out.push_back(next_of<chat::Message>(c, 15s));
    return out;
}

TEST_F(ClusterTest, ResumeOfARoomOneIsInReadsTheSharedHistory) {
    auto ann = connect(1), bob = connect(2);
    ann->login("ann");
    bob->login("bob");
    bob->send(chat::Resume{"story", 0, 0, 10});
    const auto first = next_of<chat::Resumed>(*bob);
    for (int i = 1; i <= 5; ++i) bob->send(chat::Say{"story", "part " + std::to_string(i)});
    const auto said = messages(*bob, 5);
    // ann's node has never served the room: its first join loads the room's history.
    ann->join("story");
    ann->send(chat::Resume{"story", first.epoch, said[1].seq, 10});
    const auto again = next_of<chat::Resumed>(*ann);
    EXPECT_EQ(again.epoch, first.epoch);
    EXPECT_EQ(again.next_seq, said[2].seq) << "told of messages lost that were not";
    EXPECT_EQ(again.live_seq, said[4].seq + 1);
    const auto replay = messages(*ann, 3);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(replay[i].text, said[2 + i].text);
    // bob, in the room since before it had messages: the same from his node.
    bob->send(chat::Resume{"story", first.epoch, 0, 2});
    const auto bobs = next_of<chat::Resumed>(*bob);
    EXPECT_EQ(bobs.next_seq, said[3].seq);
    EXPECT_EQ(messages(*bob, 2).back().text, "part 5");
    // and live traffic goes on after the replay, with no gap
    ann->send(chat::Say{"story", "part 6"});
    EXPECT_EQ(next_of<chat::Message>(*ann).seq, again.live_seq);
    EXPECT_EQ(next_of<chat::Message>(*bob).seq, again.live_seq);

    // The operator sees what the shared history holds for the room.
    node(1).process->command("/stats");
    const auto stats = node(1).process->read_line().value_or("");
    EXPECT_NE(stats.find("history_store=redis"), std::string::npos) << stats;
    EXPECT_NE(stats.find("history_messages=6"), std::string::npos) << stats;
}

TEST_F(ClusterTest, ASecondResumeBeforeTheFirstIsAnsweredWaitsForIt) {
    auto bob = connect(2), ann = connect(1);
    bob->login("bob");
    bob->join("talk");
    for (int i = 1; i <= 3; ++i) bob->send(chat::Say{"talk", std::to_string(i)});
    messages(*bob, 3);
    ann->login("ann");
    ann->send(chat::Resume{"talk", 0, 0, 10});
    ann->send(chat::Resume{"talk", 0, 0, 1});  // right behind: the first is still in Redis
    const auto one = next_of<chat::Resumed>(*ann);
    EXPECT_EQ(one.next_seq, 1u);
    EXPECT_EQ(messages(*ann, 3).back().text, "3");
    const auto two = next_of<chat::Resumed>(*ann);
    EXPECT_EQ(two.epoch, one.epoch);
    EXPECT_EQ(two.next_seq, 3u);
    EXPECT_EQ(messages(*ann, 1).back().text, "3");
}

TEST_F(ClusterTest, AJoinOfANickRedisHasAsAMemberAlreadyReplacesThatMembership) {
    auto bob = connect(2), ann = connect(1);
    bob->login("bob");
    bob->join("room");
    ann->login("ann");
    // Left over from an earlier "ann" (a disconnect while Redis was away): a member still.
    redis_->command({"HSET", "nc:room:{room}:members", "ann", "1"});
    const auto joined = ann->join("room");  // the protocol's answer, not `unavailable`
    EXPECT_EQ(joined.room, "room");
    // bob sees the old membership leave and the new one join, in order.
    const auto left = next_of<chat::RoomEvent>(*bob);
    EXPECT_EQ(left.kind, chat::RoomEventKind::Left);
    EXPECT_EQ(left.nick, "ann");
    const auto came = next_of<chat::RoomEvent>(*bob);
    EXPECT_EQ(came.kind, chat::RoomEventKind::Joined);
    EXPECT_EQ(came.nick, "ann");
    ann->send(chat::Say{"room", "hi"});
    EXPECT_EQ(next_of<chat::Message>(*bob).text, "hi");
    EXPECT_EQ(redis_->command({"HLEN", "nc:room:{room}:members"}), "2");
}

TEST_F(ClusterTest, AJoinRefusedByRedisLeavesNoRoomBehind) {
    auto ann = connect(1);
    ann->login("ann");
    // Another node holds "ann" now (this one was cut off, say): the join is refused.
    redis_->command({"SET", "nc:nick:{ann}", std::string("n3\x1f") + "ann"});
    ann->send(chat::Join{"room"});
    const auto refused = ann->expect_error(chat::ErrorCode::NickTaken);
    EXPECT_EQ(refused.in_reply_to, static_cast<std::uint16_t>(chat::MsgType::Join));
    ann->send(chat::Resume{"room", 0, 0, 5});
    EXPECT_EQ(ann->expect_error(chat::ErrorCode::NickTaken).in_reply_to,
              static_cast<std::uint16_t>(chat::MsgType::Resume));
    // Not in the room: neither SAY nor LEAVE acts as if it were.
    ann->send(chat::Say{"room", "hello?"});
    ann->expect_error(chat::ErrorCode::NotInRoom);
    ann->send(chat::Leave{"room"});
    ann->expect_error(chat::ErrorCode::NotInRoom);
}

class TrimmedStreamTest : public ClusterTest {
  protected:
    // Streams of about 1020 entries: most of what the stopped node misses is trimmed.
    std::vector<std::string> node_arguments() const override { return {"--history", "10"}; }
};

TEST_F(TrimmedStreamTest, MessagesTrimmedBeforeALaggingNodeReadThemAreToldAsTheExactGap) {
    auto talker = connect(1), sleeper = connect(2);
    talker->login("tom");
    sleeper->login("sam");
    const auto joined = sleeper->join("room");
    talker->join("room");
    node(2).process->signal(SIGSTOP);
    // Cut off from its subscription while it stands still (as Redis' output buffer limit
    // does, but before anything is published: no kernel buffer holds any of what follows),
    // then far more is said than the stream keeps.
    kill_client("netchat-n2-subscriber");
    constexpr int kMessages = 3000;
    const std::string filler(100, 'x');
    for (int i = 0; i < kMessages; ++i)
        talker->send(chat::Say{"room", std::to_string(i) + " " + filler});
    for (int i = 0; i < kMessages; ++i) next_of<chat::Message>(*talker, 10s);
    node(2).process->signal(SIGCONT);
    // Every seq is either delivered or told as gone: never a silent jump.
    std::uint64_t expect = joined.next_seq, delivered = 0, told_lost = 0;
    int gaps = 0;
    while (expect < joined.next_seq + kMessages) {
        const auto frame = sleeper->read(20s);
        if (const auto* r = std::get_if<chat::Resumed>(&frame)) {
            ASSERT_GT(r->next_seq, expect) << "a RESUMED that tells no gap";
            EXPECT_EQ(r->live_seq, r->next_seq);
            told_lost += r->next_seq - expect;
            expect = r->next_seq;
            ++gaps;
        } else if (const auto* m = std::get_if<chat::Message>(&frame)) {
            ASSERT_EQ(m->seq, expect) << "a seq jump nobody was told of";
            ASSERT_EQ(m->text, std::to_string(m->seq - joined.next_seq) + " " + filler);
            ++expect;
            ++delivered;
        }
    }
    EXPECT_EQ(delivered + told_lost, static_cast<std::uint64_t>(kMessages));
    EXPECT_GE(gaps, 1) << "nothing was trimmed";
    EXPECT_GT(told_lost, 1000u);
    std::printf("[ measured ] %llu messages delivered, %llu told lost in %d gap(s)\n",
                static_cast<unsigned long long>(delivered),
                static_cast<unsigned long long>(told_lost), gaps);
    talker->send(chat::Say{"room", "awake?"});
    EXPECT_EQ(next_of<chat::Message>(*sleeper, 10s).seq, expect);
}

}  // namespace
}  // namespace testing_support
