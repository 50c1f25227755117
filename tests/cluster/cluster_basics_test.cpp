// Three nodes, one chat: the order, nicks, whispers, boards, members, counts and RESUME across
// nodes (docs/cluster.md).
#include <atomic>
#include <map>
#include <thread>

#include "cluster_fixture.hpp"

namespace testing_support {
namespace {

using namespace std::chrono_literals;

struct Seen {
    std::uint64_t seq;
    std::string from, text;
    bool operator==(const Seen&) const = default;
};

// Reads `n` MESSAGEs of `room` (other frames skipped).
std::vector<Seen> read_messages(TestClient& c, std::size_t n, const std::string& room) {
    std::vector<Seen> out;
    while (out.size() < n) {
        const auto m = next_of<chat::Message>(c, 15s);
        if (m.room == room) out.push_back({m.seq, m.from, m.text});
    }
    return out;
}

TEST_F(ClusterTest, OneOrderAcrossNodesWhileAllTalkAtOnce) {
    constexpr int kPerNode = 2, kEach = 40;
    std::vector<std::unique_ptr<TestClient>> members;
    std::uint64_t first_seq = 0;
    for (int n = 1; n <= 3; ++n)
        for (int k = 0; k < kPerNode; ++k) {
            auto c = connect(n);
            c->login("t" + std::to_string(n) + "_" + std::to_string(k));
            const auto joined = c->join("order");
            if (!first_seq) first_seq = joined.next_seq;
            EXPECT_EQ(joined.next_seq, first_seq);
            members.push_back(std::move(c));
        }
    // Everyone talks at once, each from its own thread.
    std::vector<std::thread> talkers;
    for (std::size_t i = 0; i < members.size(); ++i)
        talkers.emplace_back([&, i] {
            for (int k = 0; k < kEach; ++k)
                members[i]->send(
                    chat::Say{"order", "m" + std::to_string(i) + "-" + std::to_string(k)});
        });
    for (auto& t : talkers) t.join();
    const std::size_t total = members.size() * kEach;
    std::vector<std::vector<Seen>> seen;
    for (auto& c : members) seen.push_back(read_messages(*c, total, "order"));
    for (std::size_t i = 0; i < seen.size(); ++i) {
        for (std::size_t k = 0; k < total; ++k)
            ASSERT_EQ(seen[i][k].seq, first_seq + k) << "member " << i << " saw a gap or a repeat";
        EXPECT_EQ(seen[i], seen[0]) << "member " << i << " saw another order";
    }
    // Each talker's own messages in the order it sent them.
    std::map<std::string, int> next;
    for (const Seen& s : seen[0]) {
        const std::string who = s.text.substr(0, s.text.find('-'));
        EXPECT_EQ(s.text, who + "-" + std::to_string(next[who]++));
    }
}

TEST_F(ClusterTest, NicksAreUniqueAcrossNodes) {
    auto alice = connect(1);
    alice->login("alice");
    auto again = connect(2);
    again->send(chat::Hello{chat::kProtocolVersion, "ALICE", ""});
    again->expect_error(chat::ErrorCode::NickTaken);
    auto third = connect(3);
    third->send(chat::Hello{chat::kProtocolVersion, "alice", ""});
    third->expect_error(chat::ErrorCode::NickTaken);
    alice.reset();  // disconnects: the nick is free again, cluster-wide
    const auto deadline = Clock::now() + 5s;
    for (;;) {
        auto c = connect(3);
        c->send(chat::Hello{chat::kProtocolVersion, "alice", ""});
        const auto answer = c->read();
        if (std::holds_alternative<chat::Welcome>(answer)) break;
        ASSERT_LT(Clock::now(), deadline)
            << "alice was not freed: " << TestClient::describe(answer);
        std::this_thread::sleep_for(50ms);
    }
}

TEST_F(ClusterTest, WhispersBoardsMembersAndCountsAcrossNodes) {
    auto a = connect(1), b = connect(2), c = connect(3);
    a->login("ann");
    b->login("bob");
    c->login("cat");
    EXPECT_EQ(a->join("hall").members, std::vector<std::string>{"ann"});
    EXPECT_EQ(b->join("hall").members, (std::vector<std::string>{"ann", "bob"}));
    const auto ev = next_of<chat::RoomEvent>(*a);
    EXPECT_EQ(ev.nick, "bob");
    EXPECT_EQ(ev.kind, chat::RoomEventKind::Joined);

    // A board move on node 1 reaches node 2.
    a->send(chat::Move{"hall", 3, 4});
    const auto board = next_of<chat::Board>(*b);
    ASSERT_EQ(board.pieces.size(), 1u);
    EXPECT_EQ(board.pieces[0], (chat::Piece{"ann", 3, 4}));
    // A joiner on node 3 gets the members and the board as they stand.
    EXPECT_EQ(c->join("hall").members, (std::vector<std::string>{"ann", "bob", "cat"}));
    EXPECT_EQ(next_of<chat::Board>(*c).pieces, board.pieces);

    // Whispers across nodes: the target gets it, the sender a receipt.
    a->send(chat::Whisper{"CAT", "psst"});
    EXPECT_EQ(next_of<chat::Whispered>(*c), (chat::Whispered{"ann", "cat", "psst"}));
    EXPECT_EQ(next_of<chat::Whispered>(*a), (chat::Whispered{"ann", "cat", "psst"}));
    a->send(chat::Whisper{"nobody", "hello?"});
    EXPECT_EQ(next_of<chat::Error>(*a).code, chat::ErrorCode::NoSuchUser);

    // LIST_ROOMS counts the cluster; INFO too (after the next heartbeat).
    b->send(chat::Join{"side"});
    next_of<chat::Joined>(*b);
    c->send(chat::ListRooms{});
    const auto rooms = next_of<chat::Rooms>(*c);
    EXPECT_EQ(rooms.rooms, (std::vector<chat::RoomSummary>{{"hall", 3}, {"side", 1}}));
    const auto deadline = Clock::now() + 6s;
    for (;;) {
        c->send(chat::InfoReq{});
        const auto info = next_of<chat::Info>(*c);
        if (info.sessions >= 3 && info.rooms == 2) break;
        ASSERT_LT(Clock::now(), deadline)
            << "INFO: " << info.sessions << " sessions, " << info.rooms << " rooms";
        std::this_thread::sleep_for(200ms);
    }

    // A leave on node 2 is seen on nodes 1 and 3, and the board loses nothing else.
    b->send(chat::Leave{"hall"});
    next_of<chat::Left>(*b);
    const auto left = next_of<chat::RoomEvent>(*c);
    EXPECT_EQ(left.nick, "bob");
    EXPECT_EQ(left.kind, chat::RoomEventKind::Left);
}

TEST_F(ClusterTest, KickAndNoticeAcrossNodes) {
    auto a = connect(1), b = connect(3);
    a->login("ann");
    b->login("bob");
    node(1).process->command("/kick bob enough");
    const auto line = node(1).process->read_line(5s);
    ASSERT_TRUE(line);
    EXPECT_NE(line->find("kicked bob"), std::string::npos) << *line;
    EXPECT_EQ(next_of<chat::Bye>(*b).reason, "kicked: enough");
    node(2).process->command("/notice maintenance at noon");
    EXPECT_EQ(next_of<chat::Notice>(*a).text, "maintenance at noon");
}

TEST_F(ClusterTest, TwoHundredMembersSpreadOverTheNodes) {
    constexpr int kMembers = 200;
    std::vector<std::unique_ptr<TestClient>> members;
    for (int i = 0; i < kMembers; ++i) {
        auto c = connect(1 + i % 3);
        c->login("m" + std::to_string(i));
        c->send(chat::Join{"big"});
        members.push_back(std::move(c));
    }
    for (auto& c : members) next_of<chat::Joined>(*c, 15s);
    members[0]->send(chat::Say{"big", "from node 1"});
    members[1]->send(chat::Say{"big", "from node 2"});
    members[2]->send(chat::Say{"big", "from node 3"});
    std::vector<Seen> first;
    for (auto& c : members) {
        const auto seen = read_messages(*c, 3, "big");
        if (first.empty()) first = seen;
        ASSERT_EQ(seen, first);
    }
    EXPECT_EQ(first[1].seq, first[0].seq + 1);
    EXPECT_EQ(first[2].seq, first[0].seq + 2);
    members[5]->send(chat::ListRooms{});
    EXPECT_EQ(next_of<chat::Rooms>(*members[5]).rooms,
              (std::vector<chat::RoomSummary>{{"big", kMembers}}));
}

TEST_F(ClusterTest, ResumeOnAnotherNodeContinuesTheHistory) {
    auto a = connect(1), b = connect(2);
    a->login("ann");
    b->login("bob");
    a->send(chat::Resume{"story", 0, 0, 100});
    const auto first = next_of<chat::Resumed>(*a);
    b->join("story");
    for (int i = 0; i < 5; ++i) b->send(chat::Say{"story", "part " + std::to_string(i)});
    const auto before = read_messages(*a, 5, "story");
    a.reset();  // gone from node 1...
    for (int i = 5; i < 8; ++i) b->send(chat::Say{"story", "part " + std::to_string(i)});
    read_messages(*b, 8, "story");
    // ... and back on node 3, after the nick is free again.
    std::unique_ptr<TestClient> back;
    const auto deadline = Clock::now() + 5s;
    for (;;) {
        back = connect(3);
        back->send(chat::Hello{chat::kProtocolVersion, "ann", ""});
        if (std::holds_alternative<chat::Welcome>(back->read())) break;
        ASSERT_LT(Clock::now(), deadline);
        std::this_thread::sleep_for(50ms);
    }
    back->send(chat::Resume{"story", first.epoch, before.back().seq, 100});
    const auto resumed = next_of<chat::Resumed>(*back);
    EXPECT_EQ(resumed.epoch, first.epoch);
    EXPECT_EQ(resumed.next_seq, before.back().seq + 1) << "a gap that did not happen";
    EXPECT_EQ(resumed.live_seq, before.back().seq + 4);
    const auto replay = read_messages(*back, 3, "story");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(replay[i].seq, before.back().seq + 1 + i);
        EXPECT_EQ(replay[i].text, "part " + std::to_string(5 + i));
    }
    // and live traffic follows with no gap
    b->send(chat::Say{"story", "live"});
    const auto live = read_messages(*back, 1, "story");
    EXPECT_EQ(live[0].seq, resumed.live_seq);
}

// A member that sends LEAVE and is gone before the cluster has ordered the leave: the node
// still has it in the room's delivery until then, and must take it out as it goes (under ASan
// a send to the freed session was a use after free).
TEST_F(ClusterTest, ADisconnectRightBehindALeaveLeavesNothingBehind) {
    auto stay = connect(1), other = connect(2);
    stay->login("stay");
    other->login("other");
    stay->join("room");
    other->join("room");
    for (int i = 0; i < 20; ++i) {
        auto brief = connect(1);
        brief->login("brief" + std::to_string(i));
        brief->join("room");
        brief->send(chat::Leave{"room"});
        brief->reset();  // gone at once, before LEFT
        other->send(chat::Say{"room", "after " + std::to_string(i)});
    }
    for (int i = 0; i < 20; ++i) {
        std::string text;
        while (text.rfind("after ", 0) != 0) text = next_of<chat::Message>(*stay).text;
        EXPECT_EQ(text, "after " + std::to_string(i));
    }
    stay->send(chat::ListRooms{});
    EXPECT_EQ(next_of<chat::Rooms>(*stay).rooms, (std::vector<chat::RoomSummary>{{"room", 2}}));
}

}  // namespace
}  // namespace testing_support
