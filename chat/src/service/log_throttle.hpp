// At most one log line per interval for a kind of event that can come in floods (refused
// connections under attack); the lines held back are counted and reported with the next one.
// Lock-free: any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace chat::detail {

class LogThrottle {
  public:
    using Clock = std::chrono::steady_clock;
    explicit LogThrottle(std::chrono::milliseconds interval) : interval_(interval) {}

    // True when a line may be written now; `held_back` then says how many were not.
    bool allow(std::uint64_t& held_back) {
        const auto now = Clock::now().time_since_epoch().count();
        auto next = next_.load(std::memory_order_relaxed);
        if (now < next ||
            !next_.compare_exchange_strong(next, now + Clock::duration(interval_).count(),
                                           std::memory_order_relaxed)) {
            held_back_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        held_back = held_back_.exchange(0, std::memory_order_relaxed);
        return true;
    }

  private:
    const std::chrono::milliseconds interval_;
    std::atomic<Clock::rep> next_{0};
    std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace chat::detail
