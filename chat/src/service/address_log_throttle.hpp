// Log lines about what one address does wrong (protocol errors), at most kLinesPerSecond a
// second for each address: a hostile client cannot flood the log. The lines held back are
// counted and told in one summary line per address when its second is over (flush(), from the
// timer's sweep). Memory is bounded: past kMaxAddresses tracked at once, the lines of other
// addresses are held back together and told as one count.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "thread_checks.hpp"

namespace chat::detail {

class AddressLogThrottle {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::uint32_t kLinesPerSecond = 5;
    static constexpr std::size_t kMaxAddresses = 4096;

    // `what` names the lines in the summary ("protocol errors").
    explicit AddressLogThrottle(std::string what) : what_(std::move(what)) {}

    // True when a line about `address` may be written now (any thread).
    bool allow(const std::string& address, Clock::time_point now = Clock::now());
    // Logs one summary for each address whose second is over with lines held back, and
    // forgets the quiet ones (the timer thread).
    void flush(Clock::time_point now = Clock::now());

  private:
    struct Window {
        Clock::time_point start;
        std::uint32_t lines = 0;  // written in this window
        std::uint64_t held = 0;   // held back in this window
    };
    const std::string what_;
    RankedMutex mutex_{LockRank::LogThrottle};
    std::unordered_map<std::string, Window> windows_;
    std::uint64_t overflow_held_ = 0;  // of addresses past kMaxAddresses
};

}  // namespace chat::detail
