// The service under several threads at once, as iocp's workers and the blocking engine's
// threads drive it: rooms proceed in parallel and each keeps one order for all its members;
// joins, leaves, kicks and notices race without breaking that. And the thread checks
// themselves (lock order, lock held) fire when a rule is broken.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "service/memory_history.hpp"
#include "service/room.hpp"
#include "service/thread_checks.hpp"
#include "service_peer.hpp"

using namespace chat;
using namespace chat_test;
using namespace std::chrono_literals;

namespace {

constexpr int kThreads = 4, kPeersPerThread = 4, kRounds = 150;

// (seq, from, text) of every MESSAGE a peer got, per room.
using Seen =
    std::map<std::string, std::vector<std::tuple<std::uint64_t, std::string, std::string>>>;

Seen messages_of(Peer& p) {
    Seen seen;
    for (const auto& msg : p.drain())
        if (const auto* m = std::get_if<Message>(&msg))
            seen[m->room].emplace_back(m->seq, m->from, m->text);
    return seen;
}

TEST(ServiceThreads, RoomsRunInParallelAndEachKeepsOneOrder) {
    ChatService service(config());
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < kThreads * kPeersPerThread; ++i) {
        peers.push_back(std::make_unique<Peer>(service, i + 1));
        peers.back()->login("p" + std::to_string(i));
        peers.back()->send(Join{"shared"});
        peers.back()->send(Join{"room" + std::to_string(i / kPeersPerThread)});
        peers.back()->drain();
    }
    // One thread per group of peers, as an engine thread owns its connections.
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRounds; ++r)
                for (int k = 0; k < kPeersPerThread; ++k) {
                    Peer& p = *peers[t * kPeersPerThread + k];
                    const std::string text = std::to_string(r);
                    p.send(Say{"shared", text});
                    p.send(Say{"room" + std::to_string(t), text});
                }
        });
    for (auto& t : threads) t.join();

    std::vector<Seen> seen;
    for (auto& p : peers) seen.push_back(messages_of(*p));
    const std::size_t shared_total = kThreads * kPeersPerThread * kRounds;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        const auto& shared = seen[i]["shared"];
        ASSERT_EQ(shared.size(), shared_total) << "peer " << i;
        for (std::size_t k = 0; k < shared.size(); ++k)
            ASSERT_EQ(std::get<0>(shared[k]), k + 1) << "peer " << i;  // unbroken seq
        EXPECT_EQ(shared, seen[0]["shared"]) << "peer " << i << " saw another order";
        const auto& own = seen[i]["room" + std::to_string(i / kPeersPerThread)];
        ASSERT_EQ(own.size(), std::size_t{kPeersPerThread * kRounds});
        for (std::size_t k = 0; k < own.size(); ++k) ASSERT_EQ(std::get<0>(own[k]), k + 1);
    }
}

TEST(ServiceThreads, JoinsLeavesKicksAndNoticesRaceSafely) {
    ChatService service(config());
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < kThreads * kPeersPerThread; ++i) {
        peers.push_back(std::make_unique<Peer>(service, i + 1));
        peers.back()->login("p" + std::to_string(i));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> operator_rounds{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRounds; ++r)
                for (int k = 0; k < kPeersPerThread; ++k) {
                    Peer& p = *peers[t * kPeersPerThread + k];
                    const std::string room = "r" + std::to_string((r + k) % 3);
                    p.send(Join{room});
                    p.send(Say{room, "x"});
                    p.send(Move{room, static_cast<std::uint8_t>(r % 8), 1});
                    if (r % 2) p.send(Leave{room});
                    p.send(ListRooms{});
                    if (r % 16 == 0) p.drain();  // keep the queues short
                }
        });
    // The operator, meanwhile.
    std::thread operator_thread([&] {
        int i = 0;
        while (!stop.load()) {
            service.notice("notice " + std::to_string(i));
            (void)service.rooms();
            (void)service.sessions();
            if (++i == 10) {
                EXPECT_TRUE(service.kick("p0", "racing"));
            }
            operator_rounds = i;
            std::this_thread::sleep_for(1ms);
        }
    });
    for (auto& t : threads) t.join();
    while (operator_rounds.load() < 20) std::this_thread::sleep_for(1ms);
    stop = true;
    operator_thread.join();

    // Every room's members are sessions that say they are in it, and boards hold members only.
    const auto sessions = service.sessions();
    for (const auto& room : service.rooms()) {
        EXPECT_FALSE(room.members.empty()) << room.name;
        for (const auto& nick : room.members) {
            const auto s = std::find_if(sessions.begin(), sessions.end(),
                                        [&](const SessionInfo& i) { return i.nick == nick; });
            ASSERT_NE(s, sessions.end()) << nick;
            EXPECT_NE(std::find(s->rooms.begin(), s->rooms.end(), room.name), s->rooms.end());
        }
        for (const auto& piece : room.board)
            EXPECT_NE(std::find(room.members.begin(), room.members.end(), piece.nick),
                      room.members.end());
    }
    EXPECT_TRUE(peers[0]->closing());  // kicked
}

#if CHAT_THREAD_CHECKS
using chat::detail::LockRank;
using chat::detail::RankedMutex;

TEST(ThreadChecksDeathTest, TakingALockAgainstTheOrderAborts) {
    RankedMutex room(LockRank::Room), session(LockRank::Session);
    EXPECT_DEATH(
        {
            std::lock_guard a(room);
            std::lock_guard b(session);
        },
        "lock order");
    // In the order, it is fine.
    std::lock_guard a(session);
    std::lock_guard b(room);
}

TEST(ThreadChecksDeathTest, ARoomReadWithoutItsLockAborts) {
    chat::detail::TrafficCounters traffic;
    const chat::detail::MemoryHistoryStore history(10, 1 << 20);
    chat::detail::Room room("r", traffic, history);
    EXPECT_DEATH((void)room.next_seq(), "lock held");
    const auto lock = room.lock();
    EXPECT_EQ(room.next_seq(), 1u);
}
#else
TEST(ThreadChecksDeathTest, CompiledOut) {
    GTEST_SKIP() << "NETCHAT_THREAD_CHECKS is off in this build type";
}
#endif

}  // namespace
