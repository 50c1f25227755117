// The soak's leak rule on made-up readings: a descriptor, a thread or steadily growing memory
// fails; what an allocator does after a load (a one-off high reading, noise under the
// tolerance) does not.
#include <gtest/gtest.h>

#include "chat_bench/footprint_judge.hpp"

using namespace chat_bench;

namespace {

ProcFootprint reading(std::uint64_t fds, std::uint64_t threads, std::uint64_t rss_kib) {
    ProcFootprint f;
    f.fds = fds;
    f.threads = threads;
    f.memory.rss_kib = rss_kib;
    return f;
}

FootprintJudge warmed_up() {
    FootprintJudge judge(5);
    judge.warm_up(reading(41, 65, 9800));
    judge.warm_up(reading(41, 65, 10240));  // the baseline's RSS: the higher warm-up reading
    judge.warm_up(reading(41, 65, 10100));
    return judge;
}

TEST(FootprintJudge, TheBaselineIsTheLastCountAndTheHighestRss) {
    const FootprintJudge judge = warmed_up();
    EXPECT_EQ(judge.baseline().fds, 41u);
    EXPECT_EQ(judge.baseline().threads, 65u);
    EXPECT_EQ(judge.baseline().memory.rss_kib, 10240u);
}

TEST(FootprintJudge, ALeakedDescriptorPerCycleFailsOnceItLeavesTheBand) {
    FootprintJudge judge = warmed_up();
    EXPECT_TRUE(judge.judge(reading(42, 65, 10240)).empty());  // 41 + 5% = 43.05
    EXPECT_TRUE(judge.judge(reading(43, 65, 10240)).empty());
    const auto problems = judge.judge(reading(44, 65, 10240));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0], "descriptors 44 against 41 at the baseline");
}

TEST(FootprintJudge, MissingThreadsFailAsWellAsExtraOnes) {
    FootprintJudge judge = warmed_up();
    EXPECT_EQ(judge.judge(reading(41, 69, 10240)).size(), 1u);
    EXPECT_EQ(judge.judge(reading(41, 61, 10240)).size(), 1u);
    EXPECT_TRUE(judge.judge(reading(41, 66, 10240)).empty());
}

TEST(FootprintJudge, ABigBaselineGetsFivePercentASmallOneAMebibyte) {
    FootprintJudge big(5), small(5);
    big.warm_up(reading(41, 5, 40960));   // 40 MiB: the band is 2 MiB
    small.warm_up(reading(41, 5, 6144));  // 6 MiB: the band is 1 MiB, not 300 KiB
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(big.judge(reading(41, 5, 40960 + 2000)).empty());
        EXPECT_TRUE(small.judge(reading(41, 5, 6144 + 1000)).empty());
    }
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(big.judge(reading(41, 5, 40960 + 2100)).empty());
        EXPECT_TRUE(small.judge(reading(41, 5, 6144 + 1100)).empty());
    }
    EXPECT_FALSE(big.judge(reading(41, 5, 40960 + 2100)).empty());
    EXPECT_FALSE(small.judge(reading(41, 5, 6144 + 1100)).empty());
}

TEST(FootprintJudge, BuffersTheConnectionsMayKeepWidenTheBand) {
    FootprintJudge judge(5, 30 * FootprintJudge::kKeptPerConnectionKib);  // 30 members: 3.75 MiB
    judge.warm_up(reading(41, 5, 6144));
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(judge.judge(reading(41, 5, 6144 + 4800)).empty());
    for (int i = 0; i < 2; ++i) EXPECT_TRUE(judge.judge(reading(41, 5, 6144 + 4900)).empty());
    const auto problems = judge.judge(reading(41, 5, 6144 + 4900));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("plus 3.8 MiB of buffers"), std::string::npos) << problems[0];
}

TEST(FootprintJudge, MemoryThatKeepsGrowingFails) {
    FootprintJudge judge = warmed_up();
    std::vector<std::string> problems;
    int cycle = 0;
    for (std::uint64_t rss = 10240; problems.empty() && cycle < 50; rss += 100, ++cycle)
        problems = judge.judge(reading(41, 65, rss));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("for 3 readings in a row"), std::string::npos) << problems[0];
    // 100 KiB a cycle: the 12th reading is the first above the band (1 MiB, more than 5% of
    // 10 MiB), the 14th the third.
    EXPECT_EQ(cycle, 14);
}

TEST(FootprintJudge, AOneOffHighWaterMarkAndNoiseUnderTheToleranceDoNot) {
    FootprintJudge judge = warmed_up();
    for (std::uint64_t rss : {10200, 10500, 11400, 10300, 10600, 11200, 10400, 10700, 11264})
        EXPECT_TRUE(judge.judge(reading(41, 65, rss)).empty()) << rss;
}

TEST(FootprintJudge, SettleWaitsForThreadsOfClosedConnectionsToEnd) {
    const FootprintJudge judge = warmed_up();
    std::uint64_t threads = 80;  // the churners' threads end a few at a time
    const auto settled = judge.settle(
        [&] {
            threads = std::max<std::uint64_t>(65, threads - 5);
            return std::optional(reading(41, threads, 10240));
        },
        std::chrono::seconds(5));
    ASSERT_TRUE(settled);
    EXPECT_LE(settled->threads, 68u);
}

}  // namespace
