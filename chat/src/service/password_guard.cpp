#include "password_guard.hpp"

#include <algorithm>
#include <mutex>

namespace chat::detail {

bool PasswordGuard::required() const {
    std::lock_guard lock(mutex_);
    return !password_.empty();
}

void PasswordGuard::set_password(std::string password) {
    std::lock_guard lock(mutex_);
    password_ = std::move(password);
}

bool PasswordGuard::matches(std::string_view attempt) const {
    std::unique_lock lock(mutex_);
    const std::string password_ = this->password_;  // a copy: compared outside the lock
    lock.unlock();
    if (password_.empty()) return true;
    // Every byte of the attempt is looked at, whatever came before: the time depends on the
    // attempt's length only, never on how much of the password it got right.
    volatile unsigned char diff = attempt.size() == password_.size() ? 0 : 1;
    for (std::size_t i = 0; i < attempt.size(); ++i)
        diff = diff | static_cast<unsigned char>(attempt[i] ^ password_[i % password_.size()]);
    return diff == 0;
}

PasswordGuard::Clock::duration PasswordGuard::paused_for(const std::string& address,
                                                         Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto it = records_.find(address);
    if (it == records_.end() || it->second.paused_until <= now) return Clock::duration::zero();
    return it->second.paused_until - now;
}

PasswordGuard::Failure PasswordGuard::failed(const std::string& address, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (records_.size() >= kMaxAddresses && !records_.count(address)) make_room(now);
    Record& r = records_[address];
    ++r.failures;
    r.last_failure = now;
    Clock::duration delay = Clock::duration::zero();
    if (r.failures >= 2) {
        const unsigned doublings = std::min(r.failures - 2, 10u);
        delay = std::min<Clock::duration>(kFirstDelay * (1u << doublings), kMaxDelay);
    }
    r.paused_until = now + delay;
    return {r.failures, delay};
}

void PasswordGuard::succeeded(const std::string& address) {
    std::lock_guard lock(mutex_);
    records_.erase(address);
}

void PasswordGuard::forget_quiet(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::erase_if(records_, [&](const auto& kv) {
        return now - kv.second.last_failure > kForgetAfter && kv.second.paused_until <= now;
    });
}

void PasswordGuard::make_room(Clock::time_point now) {
    mutex_.assert_held();
    // Full (many addresses failing at once): forget the quiet ones, and if that is not
    // enough, those not paused right now. A paused address is never forgotten early.
    std::erase_if(records_,
                  [&](const auto& kv) { return now - kv.second.last_failure > kForgetAfter; });
    if (records_.size() >= kMaxAddresses)
        std::erase_if(records_, [&](const auto& kv) { return kv.second.paused_until <= now; });
}

}  // namespace chat::detail
