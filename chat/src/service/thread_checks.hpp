// The service's thread rules, written down once and checked: a lock order (every service mutex
// has a rank, and a thread may only take a mutex of a higher rank than all it holds), "this
// thread holds that mutex" (as muduo's assertInLoopThread), and "calls for one connection never
// overlap" (netcore's promise, which the session's reader-only fields rely on).
//
// The checks are compiled in when NETCHAT_THREAD_CHECKS is defined (CMake does so for Debug and
// RelWithDebInfo builds, so the test suites run with them) and cost nothing otherwise. A broken
// rule is logged and aborts: it is a bug in the server, not something to recover from.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>

#if defined(NETCHAT_THREAD_CHECKS)
#define CHAT_THREAD_CHECKS 1
#else
#define CHAT_THREAD_CHECKS 0
#endif

namespace chat::detail {

// Lock order, lowest first. A thread holds at most one lock of each rank.
enum class LockRank : std::uint8_t {
    Input = 1,      // one session's held input (while its login is checked by the cluster)
    Session,        // one session: its state transitions, nick and room list
    Room,           // one room: its members, board, seq and the order of its events
    History,        // the rooms' kept messages (MemoryHistoryStore)
    RoomDirectory,  // room name -> room
    Nicks,          // folded nick -> session
    SessionTable,   // connection id -> session, per-address and handshake counts
    Addresses,      // failed-password records
    Timers,         // answers held back by the timer thread
    Hooks,          // the engine-name source
    LogThrottle,    // protocol-error log lines counted per address
};
const char* to_string(LockRank rank);

[[noreturn]] void thread_rule_broken(const char* rule, const char* detail);

class RankedMutex {
  public:
    explicit RankedMutex(LockRank rank) : rank_(rank) {}
    RankedMutex(const RankedMutex&) = delete;
    RankedMutex& operator=(const RankedMutex&) = delete;

    void lock();
    bool try_lock();
    void unlock();
    // Aborts (in checked builds) unless the calling thread holds this mutex.
    void assert_held() const;
    LockRank rank() const { return rank_; }

  private:
    std::mutex mutex_;
    const LockRank rank_;
#if CHAT_THREAD_CHECKS
    std::atomic<std::thread::id> owner_{};
#endif
};

using Lock = std::unique_lock<RankedMutex>;

// One per connection: asserts that no two threads run its handler calls at once.
class ReaderCheck {
  public:
    class Scope {
      public:
        explicit Scope(ReaderCheck& check);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

      private:
#if CHAT_THREAD_CHECKS
        ReaderCheck& check_;
#endif
    };

  private:
#if CHAT_THREAD_CHECKS
    std::atomic<bool> busy_{false};
#endif
};

}  // namespace chat::detail
