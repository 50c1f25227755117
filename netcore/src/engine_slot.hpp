// The engines' side of a Connection (netcore/src only; the handler cannot reach it): the
// attachment, the engine's per-connection handle and its flush flag, and the checks of the
// thread rules in connection.hpp.
#pragma once

#include <cstdint>
#include <thread>

#include "checks.hpp"
#include "netcore/connection.hpp"

namespace netcore {

class EngineSlot {
  public:
    // Starts the connection's wake-ups to `waker` (at once if work is already queued).
    // `state` is the engine's handle for it, readable by wake() from any thread.
    template <class T>
    static void attach(Connection& c, WriteWaker* waker, T* state) {
        c.attach(waker, reinterpret_cast<std::uintptr_t>(state));
    }
    static void attach(Connection& c, WriteWaker* waker) { c.attach(waker, 0); }
    static void attach_index(Connection& c, WriteWaker* waker, std::uintptr_t index) {
        c.attach(waker, index);
    }
    // No more wake-ups; the handle is cleared. Before the engine's state goes.
    static void detach(Connection& c) { c.detach(); }

    // The handle given to attach(); stable while attached.
    template <class T>
    static T* state(const Connection& c) {
        return reinterpret_cast<T*>(c.slot_);
    }
    static std::uintptr_t index(const Connection& c) { return c.slot_; }

    // The flush flag coalesces wake-ups: true only for the wake that set it.
    static bool schedule_flush(Connection& c) {
        return !c.flush_scheduled_.exchange(true, std::memory_order_acq_rel);
    }
    // Engine thread, before flushing: true when a flush was scheduled (and clears it).
    static bool take_flush(Connection& c) {
        return c.flush_scheduled_.exchange(false, std::memory_order_acq_rel);
    }
    static bool flush_scheduled(const Connection& c) {
        return c.flush_scheduled_.load(std::memory_order_acquire);
    }

    // Whether the calling thread holds the connection's lock (always true in release builds,
    // where the holder is not recorded).
    static bool locked_here(const Connection& c) {
#if NETCORE_CHECKS
        return c.lock_holder_.load(std::memory_order_relaxed) == std::this_thread::get_id();
#else
        (void)c;
        return true;
#endif
    }
};

// At the top of every WriteWaker::wake: the rule that makes wake() safe to call from send().
#define NETCORE_CHECK_WAKE(conn) \
    NETCORE_CHECK(::netcore::EngineSlot::locked_here(conn), "wake() without the connection lock")

}  // namespace netcore
