// One latency histogram per recording thread, merged at the end. Handlers are called from
// the engine's threads, and for different connections those calls may overlap (the
// blocking engine gives every connection its own thread), so recording must not share.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "chat_bench/histogram.hpp"

namespace chat_bench {

class HistogramSet {
  public:
    HistogramSet();
    LatencyHistogram& local();  // this thread's histogram (created on first use)
    // Read only when no thread records any more (after the fleet stopped).
    LatencyHistogram merged() const;

  private:
    const std::uint64_t id_;  // tells a thread's cached pointer which set it belongs to
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<LatencyHistogram>> all_;
};

}  // namespace chat_bench
