// The service's timer thread: a periodic sweep (handshake and idle timeouts, forgetting quiet
// addresses) and one-shot actions due at a given time (a held-back ERROR bad_password). Both
// run on this thread with no service lock held, so they may take any they need; the timer's
// own lock (rank Timers) only guards its queue.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "thread_checks.hpp"

namespace chat::detail {

class ServiceTimers {
  public:
    using Clock = std::chrono::steady_clock;

    ServiceTimers() = default;
    ~ServiceTimers() { stop(); }
    ServiceTimers(const ServiceTimers&) = delete;
    ServiceTimers& operator=(const ServiceTimers&) = delete;

    void start(std::chrono::milliseconds period, std::function<void(Clock::time_point)> sweep);
    // Joins the thread; actions not yet due are dropped.
    void stop();
    // The sweep's period from now on (a reload changed the timeouts); the next sweep comes
    // within the new period.
    void set_period(std::chrono::milliseconds period);
    // Runs `action` on the timer thread at `due` (or at once if that has passed).
    void at(Clock::time_point due, std::function<void()> action);

  private:
    struct Entry {
        Clock::time_point due;
        std::uint64_t serial;  // keeps actions due at the same time in the order they came
        std::function<void()> action;
        bool operator>(const Entry& o) const {
            return due != o.due ? due > o.due : serial > o.serial;
        }
    };
    void run();

    std::chrono::milliseconds period_{500};
    std::function<void(Clock::time_point)> sweep_;
    RankedMutex mutex_{LockRank::Timers};
    std::condition_variable_any cv_;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> due_;
    std::uint64_t serial_ = 0;
    bool stop_ = false;
    bool period_changed_ = false;
    std::thread thread_;
};

}  // namespace chat::detail
