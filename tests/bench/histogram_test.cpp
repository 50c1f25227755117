// The load generator's latency histogram: exact below 128, within 1/64 above, percentiles
// by rank, merge equal to recording everything in one.
#include <gtest/gtest.h>

#include <random>

#include "chat_bench/histogram.hpp"

using chat_bench::LatencyHistogram;

TEST(LatencyHistogram, SmallValuesAreExact) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
    EXPECT_EQ(h.count(), 100u);
    EXPECT_EQ(h.percentile(0.5), 50u);
    EXPECT_EQ(h.percentile(0.99), 99u);
    EXPECT_EQ(h.percentile(1.0), 100u);
    EXPECT_EQ(h.min(), 1u);
    EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, LargeValuesWithinOneSixtyFourth) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; ++i) {
        const std::uint64_t v = 128 + rng() % (std::uint64_t{1} << 40);
        LatencyHistogram h;
        h.record(v);
        h.record(v);  // min == max would clamp: make the bucket middle the answer
        h.record(1);
        h.record(std::uint64_t{1} << 42);
        const double got = static_cast<double>(h.percentile(0.5));
        EXPECT_NEAR(got, static_cast<double>(v), static_cast<double>(v) / 64.0) << v;
    }
}

TEST(LatencyHistogram, PercentilesOfAKnownSpread) {
    LatencyHistogram h;
    for (int i = 0; i < 990; ++i) h.record(1000);      // 1 us
    for (int i = 0; i < 10; ++i) h.record(5'000'000);  // 5 ms outliers: the top 1%
    EXPECT_NEAR(static_cast<double>(h.percentile(0.5)), 1000, 16);
    EXPECT_NEAR(static_cast<double>(h.percentile(0.99)), 1000, 16);
    EXPECT_NEAR(static_cast<double>(h.percentile(0.999)), 5e6, 5e6 / 64);
    EXPECT_EQ(h.max(), 5'000'000u);
}

TEST(LatencyHistogram, MergeEqualsOneHistogram) {
    LatencyHistogram a, b, all;
    for (std::uint64_t v = 1; v < 100000; v += 37) {
        ((v % 2) ? a : b).record(v);
        all.record(v);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), all.count());
    for (double q : {0.1, 0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.percentile(q), all.percentile(q));
    EXPECT_EQ(a.min(), all.min());
    EXPECT_EQ(a.max(), all.max());
}

TEST(LatencyHistogram, HugeValuesAreClampedNotLost) {
    LatencyHistogram h;
    h.record(UINT64_MAX / 2);
    EXPECT_EQ(h.count(), 1u);
    EXPECT_EQ(h.max(), UINT64_MAX / 2);
}
