// The rules that fail a run whose server stopped keeping up, however good its averages look:
// a counter that should keep moving (deliveries, echoed frames, churn cycles) stood still for
// `stall limit` seconds, or an open-loop run delivered far less than it offered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "chat_bench/report.hpp"

namespace chat_bench {

// Open loop: the server must deliver at least half of what was offered over the measured
// window. Below capacity a server delivers ~100% (only the messages in flight at the window's
// edges differ: latency x rate, ~1-2% of a 5 s window); below 50% it is either overloaded
// twice over or it stopped for half of the window. Either way the figures describe a server
// that did not serve the load asked for, not its speed at that load.
inline constexpr double kMinDeliveredShare = 0.5;

// The longest stretch a counter stood still, and where it began (seconds from start()).
struct QuietSpell {
    double longest_s = 0;
    double from_s = 0;
};

// Samples a counter every 10 ms on its own thread between start() and stop().
class StallWatch {
  public:
    explicit StallWatch(std::function<std::uint64_t()> counter);
    ~StallWatch() { stop(); }
    StallWatch(const StallWatch&) = delete;
    StallWatch& operator=(const StallWatch&) = delete;

    void start();
    QuietSpell stop();  // the spell so far; idempotent
    QuietSpell longest() const;

  private:
    void run();

    const std::function<std::uint64_t()> counter_;
    std::chrono::steady_clock::time_point started_{};
    mutable std::mutex mutex_;  // guards spell_
    QuietSpell spell_;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

// Adds `<key>_quiet_max_s` and, when the spell reached `limit_s`, a problem naming the stall:
// "stall: no delivery for 2.3 s (1.2 s to 3.5 s into the measured window; limit 1 s)".
void check_stall(Report& report, const QuietSpell& spell, double limit_s, const std::string& key,
                 const std::string& nothing_happened);

// Adds `offered_per_s` and `delivered_share` and, below kMinDeliveredShare, a problem saying
// the server fell far behind the offered load.
void check_delivered_share(Report& report, double offered_per_s, double delivered_per_s);

}  // namespace chat_bench
