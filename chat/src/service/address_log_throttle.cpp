#include "address_log_throttle.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>
#include <vector>

namespace chat::detail {

namespace {
constexpr auto kWindow = std::chrono::seconds(1);
}

bool AddressLogThrottle::allow(const std::string& address, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = windows_.find(address);
    if (it == windows_.end()) {
        if (windows_.size() >= kMaxAddresses) {
            ++overflow_held_;
            return false;
        }
        it = windows_.emplace(address, Window{now}).first;
    }
    Window& w = it->second;
    if (now - w.start >= kWindow && w.held == 0) w = Window{now};  // a quiet second: start again
    if (now - w.start < kWindow && w.lines < kLinesPerSecond) {
        ++w.lines;
        return true;
    }
    ++w.held;  // flush() tells them and starts the next window
    return false;
}

void AddressLogThrottle::flush(Clock::time_point now) {
    std::vector<std::pair<std::string, std::uint64_t>> told;
    std::uint64_t overflow = 0;
    {
        std::lock_guard lock(mutex_);
        for (auto it = windows_.begin(); it != windows_.end();) {
            Window& w = it->second;
            if (now - w.start < kWindow) {
                ++it;
                continue;
            }
            if (w.held == 0) {
                it = windows_.erase(it);
                continue;
            }
            told.emplace_back(it->first, w.held);
            w = Window{now};
            ++it;
        }
        overflow = std::exchange(overflow_held_, 0);
    }
    // Logged outside the lock: the logger takes its own.
    for (const auto& [address, held] : told)
        spdlog::warn("{} from {}: {} more suppressed (at most {} lines a second per address)",
                     what_, address, held, kLinesPerSecond);
    if (overflow)
        spdlog::warn("{}: {} more suppressed from addresses past the {} tracked at once", what_,
                     overflow, kMaxAddresses);
}

}  // namespace chat::detail
