// MemoryHistoryStore on its own (and SharedHistory, a cluster node's copy of it): epochs, the
// per-room cap, the byte limit taking the oldest messages of the largest rooms first, and reads
// that meet the live seq exactly.
#include <gtest/gtest.h>

#include <set>

#include "service/memory_history.hpp"
#include "service/shared_history.hpp"

using namespace chat::detail;

namespace {

StoredMessage message(std::uint64_t seq, std::size_t text_bytes = 10) {
    return StoredMessage{seq, 1000 + seq, "ada", std::string(text_bytes, 'x')};
}

void say(MemoryHistoryStore& store, const std::string& room, int n, std::size_t text = 10) {
    const HistoryPosition at = store.open(room);
    for (int i = 0; i < n; ++i) store.append(room, at.epoch, message(at.next_seq + i, text));
}

std::vector<std::uint64_t> seqs(const std::vector<StoredMessage>& got) {
    std::vector<std::uint64_t> out;
    for (const auto& m : got) out.push_back(m.seq);
    return out;
}

TEST(MemoryHistoryStore, ARoomsHistoryBeginsUnderARandomNonZeroEpochAndGoesOn) {
    MemoryHistoryStore store(100, 1 << 20);
    const HistoryPosition a = store.open("a");
    EXPECT_NE(a.epoch, 0u);
    EXPECT_EQ(a.next_seq, 1u);
    say(store, "a", 3);
    const HistoryPosition again = store.open("a");  // the room emptied and was opened again
    EXPECT_EQ(again.epoch, a.epoch);
    EXPECT_EQ(again.next_seq, 4u);
    std::set<std::uint64_t> epochs{a.epoch};
    for (int i = 0; i < 50; ++i) epochs.insert(store.open("room" + std::to_string(i)).epoch);
    EXPECT_EQ(epochs.size(), 51u) << "epochs repeat";
    MemoryHistoryStore restarted(100, 1 << 20);
    EXPECT_NE(restarted.open("a").epoch, a.epoch);
}

TEST(MemoryHistoryStore, ReadsTheRangeAskedNewestFirstWhenCutAndNothingOfAnotherEpoch) {
    MemoryHistoryStore store(100, 1 << 20);
    say(store, "r", 10);
    const std::uint64_t epoch = store.open("r").epoch;
    EXPECT_EQ(seqs(store.read("r", epoch, 0, 11, 100)),
              (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    EXPECT_EQ(seqs(store.read("r", epoch, 4, 11, 3)), (std::vector<std::uint64_t>{8, 9, 10}));
    EXPECT_EQ(seqs(store.read("r", epoch, 4, 8, 100)), (std::vector<std::uint64_t>{5, 6, 7}));
    EXPECT_TRUE(store.read("r", epoch, 10, 11, 100).empty());
    EXPECT_TRUE(store.read("r", epoch, 50, 11, 100).empty());
    EXPECT_TRUE(store.read("r", epoch, ~0ull, 11, 100).empty());
    EXPECT_TRUE(store.read("r", epoch, 0, 11, 0).empty());
    EXPECT_TRUE(store.read("r", epoch + 1, 0, 11, 100).empty());
    EXPECT_TRUE(store.read("nowhere", epoch, 0, 11, 100).empty());
    const auto one = store.read("r", epoch, 6, 8, 100);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].time_us, 1007u);
    EXPECT_EQ(one[0].from, "ada");
}

TEST(MemoryHistoryStore, EachRoomKeepsItsLastNMessages) {
    MemoryHistoryStore store(5, 1 << 20);
    say(store, "r", 12);
    const std::uint64_t epoch = store.open("r").epoch;
    EXPECT_EQ(seqs(store.read("r", epoch, 0, 13, 100)),
              (std::vector<std::uint64_t>{8, 9, 10, 11, 12}));
    EXPECT_EQ(store.usage("r").messages, 5u);
    EXPECT_EQ(store.totals().messages, 5u);
    MemoryHistoryStore none(0, 1 << 20);
    say(none, "r", 3);
    EXPECT_EQ(none.open("r").next_seq, 4u) << "the seq goes on with nothing kept";
    EXPECT_EQ(none.totals().messages, 0u);
}

TEST(MemoryHistoryStore, TheByteLimitTakesTheOldestMessagesOfTheLargestRoomsFirst) {
    const std::uint64_t per_message = MemoryHistoryStore::footprint(message(1, 100));
    const std::uint64_t per_room = MemoryHistoryStore::footprint(std::string("big"));
    // Room for both rooms and 30 messages.
    MemoryHistoryStore store(1000, 2 * per_room + 30 * per_message);
    say(store, "small", 5, 100);
    say(store, "big", 25, 100);
    EXPECT_EQ(store.totals().evicted_for_memory, 0u);
    say(store, "big", 10, 100);  // 10 over: all from big, its oldest
    EXPECT_EQ(store.usage("small").messages, 5u);
    EXPECT_EQ(store.usage("big").messages, 25u);
    const std::uint64_t big = store.open("big").epoch;
    EXPECT_EQ(seqs(store.read("big", big, 0, 100, 1)), (std::vector<std::uint64_t>{35}));
    EXPECT_EQ(store.read("big", big, 0, 100, 1000).front().seq, 11u);
    EXPECT_EQ(store.totals().evicted_for_memory, 10u);
    EXPECT_LE(store.totals().bytes, store.totals().byte_limit);
    // Now small grows: big is still the largest and pays until they are even.
    say(store, "small", 10, 100);
    EXPECT_EQ(store.usage("small").messages, 15u);
    EXPECT_EQ(store.usage("big").messages, 15u);
    EXPECT_EQ(store.totals().messages, 30u);
}

TEST(MemoryHistoryStore, AHistoryGivenUpWholeIsForgottenAndItsRoomStartsOver) {
    const std::uint64_t per_room = MemoryHistoryStore::footprint(std::string("a"));
    MemoryHistoryStore store(1000, per_room);  // one room and no message fits
    const HistoryPosition a = store.open("a");
    store.append("a", a.epoch, message(1));
    EXPECT_EQ(store.totals().messages, 0u);
    EXPECT_LE(store.totals().bytes, per_room);
    store.open("b");  // over the limit: the largest, or a room with nothing left, goes
    EXPECT_EQ(store.totals().rooms, 1u);
    // A room the store forgot while its order still runs is taken up again where it is.
    store.append("a", a.epoch, message(2));
    EXPECT_EQ(store.totals().rooms, 1u);
}

TEST(MemoryHistoryStore, FootprintCountsTheStringsHeapBlocks) {
    EXPECT_EQ(MemoryHistoryStore::footprint(message(1, 15)), sizeof(StoredMessage));
    EXPECT_GE(MemoryHistoryStore::footprint(message(1, 1000)), sizeof(StoredMessage) + 1001);
}

// A cluster node's copy: loaded as the stream had the room, continued in order, dropped whole;
// the counts for operators are the copy's.
TEST(SharedHistory, ACopyLoadedFromTheStreamGoesOnAndIsForgottenWhole) {
    SharedHistory copy(5, 1 << 20);
    std::vector<StoredMessage> kept;
    for (std::uint64_t seq = 8; seq <= 12; ++seq) kept.push_back(message(seq));
    copy.load("r", {77, 13}, kept);
    EXPECT_EQ(copy.open("r").epoch, 77u);
    EXPECT_EQ(copy.open("r").next_seq, 13u);
    EXPECT_EQ(seqs(copy.read("r", 77, 9, 13, 100)), (std::vector<std::uint64_t>{10, 11, 12}));
    copy.append("r", 77, message(13));
    EXPECT_EQ(seqs(copy.read("r", 77, 0, 14, 2)), (std::vector<std::uint64_t>{12, 13}));
    EXPECT_EQ(copy.usage("r").messages, 5u);  // the per-room limit, as in the stream
    copy.append("r", 77, message(20));        // a gap (trimmed before it came): not continuous
    EXPECT_EQ(seqs(copy.read("r", 77, 0, 21, 100)), (std::vector<std::uint64_t>{20}));
    copy.load("empty", {5, 1}, {});
    EXPECT_EQ(copy.open("empty").epoch, 5u);
    EXPECT_EQ(copy.totals().rooms, 2u);
    copy.forget("r");
    EXPECT_EQ(copy.usage("r").messages, 0u);
    EXPECT_EQ(copy.totals().rooms, 1u);
    EXPECT_EQ(copy.totals().messages, 0u);
}

}  // namespace
