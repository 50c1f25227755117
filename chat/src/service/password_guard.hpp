// The server password: compared in constant time, never logged, and failures slowed down per
// address. The first wrong password from an address is answered at once (a typo costs
// nothing); each further one is answered only after a delay that doubles from 250 ms up to
// 8 s, and while that delay runs every HELLO from the address is refused. An address is
// forgotten after 10 quiet minutes or a correct password. Its lock (rank Addresses) is a leaf.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "thread_checks.hpp"

namespace chat::detail {

class PasswordGuard {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kFirstDelay{250};
    static constexpr std::chrono::milliseconds kMaxDelay{8000};
    static constexpr std::chrono::minutes kForgetAfter{10};
    static constexpr std::size_t kMaxAddresses = 65536;  // records kept at most

    explicit PasswordGuard(std::string password) : password_(std::move(password)) {}

    bool required() const;
    // A reload: later HELLOs need the new password; who is logged in stays.
    void set_password(std::string password);
    // Takes the same time wherever the attempt differs from the password.
    bool matches(std::string_view attempt) const;

    // How long HELLOs from `address` are still refused (zero when they are not).
    Clock::duration paused_for(const std::string& address, Clock::time_point now);
    struct Failure {
        unsigned count = 0;       // failures from the address in a row
        Clock::duration delay{};  // how long its answer is held back
    };
    Failure failed(const std::string& address, Clock::time_point now);
    void succeeded(const std::string& address);
    // Drops records of addresses quiet for kForgetAfter.
    void forget_quiet(Clock::time_point now);

  private:
    struct Record {
        unsigned failures = 0;
        Clock::time_point last_failure{}, paused_until{};
    };
    void make_room(Clock::time_point now);  // under mutex_

    mutable RankedMutex mutex_{LockRank::Addresses};
    std::string password_;  // under mutex_
    std::unordered_map<std::string, Record> records_;
};

}  // namespace chat::detail
