#include "service_timers.hpp"

#include <mutex>
#include <utility>

namespace chat::detail {

void ServiceTimers::start(std::chrono::milliseconds period,
                          std::function<void(Clock::time_point)> sweep) {
    period_ = period;
    sweep_ = std::move(sweep);
    thread_ = std::thread([this] { run(); });
}

void ServiceTimers::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ServiceTimers::set_period(std::chrono::milliseconds period) {
    {
        std::lock_guard lock(mutex_);
        period_ = period;
        period_changed_ = true;
    }
    cv_.notify_all();
}

void ServiceTimers::at(Clock::time_point due, std::function<void()> action) {
    {
        std::lock_guard lock(mutex_);
        if (stop_) return;
        due_.push({due, serial_++, std::move(action)});
    }
    cv_.notify_all();
}

void ServiceTimers::run() {
    Lock lock(mutex_);
    auto next_sweep = Clock::now() + period_;
    while (!stop_) {
        const auto wake = due_.empty() ? next_sweep : std::min(next_sweep, due_.top().due);
        cv_.wait_until(lock, wake);
        if (stop_) break;
        const auto now = Clock::now();
        std::vector<std::function<void()>> ready;
        while (!due_.empty() && due_.top().due <= now) {
            ready.push_back(std::move(const_cast<Entry&>(due_.top()).action));
            due_.pop();
        }
        if (std::exchange(period_changed_, false)) next_sweep = std::min(next_sweep, now + period_);
        const bool sweep = now >= next_sweep;
        if (sweep) next_sweep = now + period_;
        if (ready.empty() && !sweep) continue;
        lock.unlock();  // actions and the sweep take service locks of lower rank
        for (auto& action : ready) action();
        if (sweep && sweep_) sweep_(now);
        lock.lock();
    }
}

}  // namespace chat::detail
