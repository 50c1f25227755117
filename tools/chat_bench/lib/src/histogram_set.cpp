#include "chat_bench/histogram_set.hpp"

#include <atomic>

namespace chat_bench {
namespace {
std::atomic<std::uint64_t> next_set_id{1};
}

HistogramSet::HistogramSet() : id_(next_set_id.fetch_add(1)) {}

LatencyHistogram& HistogramSet::local() {
    struct Cache {
        std::uint64_t set = 0;
        LatencyHistogram* histogram = nullptr;
    };
    thread_local Cache cache;
    if (cache.set != id_) {
        std::lock_guard lock(mutex_);
        all_.push_back(std::make_unique<LatencyHistogram>());
        cache = {id_, all_.back().get()};
    }
    return *cache.histogram;
}

LatencyHistogram HistogramSet::merged() const {
    std::lock_guard lock(mutex_);
    LatencyHistogram out;
    for (const auto& h : all_) out.merge(*h);
    return out;
}

}  // namespace chat_bench
