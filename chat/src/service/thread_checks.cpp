#include "thread_checks.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace chat::detail {
namespace {

#if CHAT_THREAD_CHECKS
// Bit r is set while this thread holds the service mutex of rank r.
thread_local std::uint32_t t_held_ranks = 0;

std::uint32_t bit(LockRank rank) {
    return std::uint32_t{1} << static_cast<unsigned>(rank);
}

void check_order(LockRank rank) {
    const std::uint32_t same_or_higher = ~(bit(rank) - 1);
    if ((t_held_ranks & same_or_higher) == 0) return;
    std::string held;
    for (unsigned r = 1; r < 32; ++r)
        if (t_held_ranks & (std::uint32_t{1} << r))
            held += std::string(held.empty() ? "" : ", ") + to_string(static_cast<LockRank>(r));
    const std::string detail = std::string("taking ") + to_string(rank) + " while holding " + held;
    thread_rule_broken("lock order", detail.c_str());
}
#endif

}  // namespace

const char* to_string(LockRank rank) {
    switch (rank) {
        case LockRank::Input:
            return "Input";
        case LockRank::Session:
            return "Session";
        case LockRank::History:
            return "History";
        case LockRank::Room:
            return "Room";
        case LockRank::RoomDirectory:
            return "RoomDirectory";
        case LockRank::Nicks:
            return "Nicks";
        case LockRank::SessionTable:
            return "SessionTable";
        case LockRank::Addresses:
            return "Addresses";
        case LockRank::Timers:
            return "Timers";
        case LockRank::Hooks:
            return "Hooks";
        case LockRank::LogThrottle:
            return "LogThrottle";
    }
    return "?";
}

void thread_rule_broken(const char* rule, const char* detail) {
    // Straight to stderr: the logger may be what is broken, and this is the last word.
    std::fprintf(stderr, "chat service: thread rule broken (%s): %s\n", rule, detail);
    std::fflush(stderr);
    std::abort();
}

void RankedMutex::lock() {
#if CHAT_THREAD_CHECKS
    check_order(rank_);
#endif
    mutex_.lock();
#if CHAT_THREAD_CHECKS
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    t_held_ranks |= bit(rank_);
#endif
}

bool RankedMutex::try_lock() {
#if CHAT_THREAD_CHECKS
    check_order(rank_);
#endif
    if (!mutex_.try_lock()) return false;
#if CHAT_THREAD_CHECKS
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    t_held_ranks |= bit(rank_);
#endif
    return true;
}

void RankedMutex::unlock() {
#if CHAT_THREAD_CHECKS
    t_held_ranks &= ~bit(rank_);
    owner_.store(std::thread::id{}, std::memory_order_relaxed);
#endif
    mutex_.unlock();
}

void RankedMutex::assert_held() const {
#if CHAT_THREAD_CHECKS
    if (owner_.load(std::memory_order_relaxed) != std::this_thread::get_id())
        thread_rule_broken("lock held", to_string(rank_));
#endif
}

ReaderCheck::Scope::Scope([[maybe_unused]] ReaderCheck& check)
#if CHAT_THREAD_CHECKS
    : check_(check) {
    if (check_.busy_.exchange(true, std::memory_order_acquire))
        thread_rule_broken("one reader per connection", "two threads in on_data at once");
}
#else
{
}
#endif

ReaderCheck::Scope::~Scope() {
#if CHAT_THREAD_CHECKS
    check_.busy_.store(false, std::memory_order_release);
#endif
}

}  // namespace chat::detail
