// A log-linear latency histogram (HdrHistogram's layout, none of its code): values below
// 2 * kSub are exact, above that each power of two is split into kSub equal buckets, so
// any recorded value is known to within 1/kSub (1.6%). Fixed size, no allocation per
// record; not thread-safe: keep one per thread and merge.
#pragma once

#include <array>
#include <cstdint>

namespace chat_bench {

class LatencyHistogram {
  public:
    static constexpr int kSubBits = 6;
    static constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBits;
    static constexpr int kMaxExponent = 44;  // ~4.9 hours in ns; larger values are clamped

    void record(std::uint64_t value);
    void merge(const LatencyHistogram& other);
    void reset() { *this = LatencyHistogram{}; }

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
    // The value at quantile q (0..1): the middle of the bucket holding it, within [min, max].
    std::uint64_t percentile(double q) const;

  private:
    static constexpr std::size_t kBuckets = 2 * kSub + (kMaxExponent - kSubBits) * kSub;
    static std::size_t index_of(std::uint64_t value);
    static std::uint64_t middle_of(std::size_t index);

    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
};

}  // namespace chat_bench
