// The soak's leak rule: after each cycle the server's descriptors, threads and RSS are read
// once it is quiet again and compared with the baseline taken after the warm-up cycles.
//
// - Descriptors and threads come back exactly once the same connections are open (the
//   soak's members; on `blocking` two threads each): a reading is judged once it is within
//   the tolerance or after `settle` (threads of closed connections end asynchronously), so a
//   leaked descriptor or thread fails at once while a slow exit does not.
// - RSS never comes back exactly: glibc keeps freed memory in its arenas (one per thread, up
//   to 8 per core) and caches the stacks of ended threads. The baseline is the highest
//   reading of the warm-up cycles, which ran the same load and visited every engine, so the
//   caches are already full. The band above it is the tolerance (at least 1 MiB: at a 6 MiB
//   baseline 5% is a few heap steps) plus what the connections open at the baseline may keep
//   by design: netcore keeps each connection's two output buffers for reuse up to 64 KiB each
//   (Connection::end_write), and they reach that size only when some burst backs a queue up,
//   which may first happen long after the warm-up (RSS of an epoll soak stepped up by
//   0.7-1.1 MiB at such moments, then stayed flat for the rest of the run, with nothing
//   allocated lost at exit). A reading above the band fails only when the next two readings
//   are above it too. A leak keeps growing, so it stays above; a one-off high-water mark of
//   the allocator shows once and falls back under.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chat_bench/proc_stats.hpp"

namespace chat_bench {

class FootprintJudge {
  public:
    // `kept_kib`: memory the connections open at the baseline may keep by design (above).
    explicit FootprintJudge(double tolerance_pct, double kept_kib = 0)
        : tolerance_(tolerance_pct / 100.0), kept_kib_(kept_kib) {}

    // What netcore may keep per connection: two output buffers of up to 64 KiB.
    static constexpr double kKeptPerConnectionKib = 128;

    // A warm-up reading; the baseline is the last one for descriptors and threads and the
    // highest one for RSS.
    void warm_up(const ProcFootprint& f);
    // Reads `read` until descriptors and threads are within the tolerance of the baseline (or
    // unchanged for 0.5 s before there is one), at most `settle`.
    std::optional<ProcFootprint> settle(const std::function<std::optional<ProcFootprint>()>& read,
                                        std::chrono::milliseconds settle) const;
    // Judges a reading after the warm-up; returns what is wrong (empty: nothing).
    std::vector<std::string> judge(const ProcFootprint& f);

    bool has_baseline() const { return baseline_.has_value(); }
    const ProcFootprint& baseline() const { return *baseline_; }
    double tolerance() const { return tolerance_; }

  private:
    bool within(std::uint64_t value, std::uint64_t base) const;

    const double tolerance_;
    const double kept_kib_;
    std::optional<ProcFootprint> baseline_;
    int rss_over_in_a_row_ = 0;
};

}  // namespace chat_bench
