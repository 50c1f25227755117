#include "chat_bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace chat_bench {

std::size_t LatencyHistogram::index_of(std::uint64_t value) {
    if (value < 2 * kSub) return static_cast<std::size_t>(value);
    const int exponent = std::bit_width(value) - 1;  // >= kSubBits + 1
    if (exponent > kMaxExponent) return kBuckets - 1;
    const int shift = exponent - kSubBits;     // >= 1
    const std::uint64_t top = value >> shift;  // in [kSub, 2 * kSub)
    return static_cast<std::size_t>(2 * kSub + (shift - 1) * kSub + (top - kSub));
}

std::uint64_t LatencyHistogram::middle_of(std::size_t index) {
    if (index < 2 * kSub) return index;
    const std::size_t rest = index - 2 * kSub;
    const int shift = static_cast<int>(rest / kSub) + 1;
    const std::uint64_t top = kSub + rest % kSub;
    return (top << shift) + (std::uint64_t{1} << (shift - 1));
}

void LatencyHistogram::record(std::uint64_t value) {
    ++buckets_[index_of(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::percentile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    // The rank of the wanted value, 1-based: p50 of {a, b} is a, p100 is the max.
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank) return std::clamp(middle_of(i), min_, max_);
    }
    return max_;
}

}  // namespace chat_bench
