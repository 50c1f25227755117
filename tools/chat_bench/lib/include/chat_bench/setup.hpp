// The steps every scenario takes before and around its measurement: descriptor limits, a
// server that answers, timing, and the server's CPU and memory from /proc.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "chat_bench/options.hpp"
#include "chat_bench/proc_stats.hpp"
#include "chat_bench/report.hpp"

namespace chat_bench {

// The scenario cannot run at all (no server, limits, bad options): exit status 2.
struct SetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Raises the descriptor limit, checks that `wanted` connections fit (lowered with --fit,
// noted in the report) and that the server answers. Returns the count to open.
std::size_t preflight(const CommonOptions& common, std::size_t wanted, Report& report);

void sleep_seconds(double seconds);
double seconds_since(std::chrono::steady_clock::time_point t);
std::string seconds_text(double seconds);  // "1.5 s"

// The server's CPU time over a window and its memory at the end (with --server-pid), and
// the load generator's own CPU time: near 100% of its threads means the load, not the
// server, was the limit.
class ServerSampler {
  public:
    explicit ServerSampler(int pid) : pid_(pid) {}
    void begin();
    void end();
    // Adds server_cpu_pct (one core = 100), server_rss_kib and load_cpu_pct to the report.
    void report_to(Report& report) const;

  private:
    int pid_;
    std::optional<double> cpu_start_, cpu_pct_, self_start_, self_pct_;
    std::optional<ProcMemory> memory_;
    bool alive_ = true;
    std::chrono::steady_clock::time_point started_{};
};

}  // namespace chat_bench
