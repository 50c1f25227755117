// What other threads hand an engine's thread: connections woken for output (by the engine's
// key or id for them) and connections to adopt. One lock; the engine's thread takes both at
// once. Every engine that has a thread of its own to hand work to uses it.
//
// The rule at stop() for connections adopted but never registered (handed over by adopt()
// while the engine was stopping): they are opened (host.connection_opened, on the thread
// calling stop(), while no engine thread runs) and handed back with the rest. Every
// connection stop() returns has then been opened, which is what the next engine's start()
// and the host's own stop() take for granted: a connection handed back unopened would reach
// the next engine as if open, and its handler would see on_data, or on_close, without the
// on_open that must come first.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/connection.hpp"
#include "netcore/engine.hpp"

namespace netcore {

class WakeInbox {
  public:
    // WriteWaker::wake of an engine whose connections one thread serves (the connection's
    // lock is held): on that thread the key joins `dirty`, flushed once per batch without a
    // system call now; from any other it is posted. True when the thread must be signalled.
    bool wake(Connection& conn, std::uint64_t key, bool on_engine_thread,
              std::vector<std::uint64_t>& dirty) {
        NETCORE_CHECK_WAKE(conn);
        if (!EngineSlot::schedule_flush(conn)) return false;
        if (!on_engine_thread) return post_wake(key);
        dirty.push_back(key);
        return false;
    }

    // Both return true when the inbox was empty: the engine's thread must be signalled once.
    bool post_wake(std::uint64_t key) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        woken_.push_back(key);
        return first;
    }
    bool post_adopt(ConnectionPtr conn) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        adopted_.push_back(std::move(conn));
        return first;
    }

    // The engine's thread: appends the woken keys to `woken` and returns the connections to
    // register and open.
    std::vector<ConnectionPtr> take(std::vector<std::uint64_t>& woken) {
        std::vector<ConnectionPtr> adopted;
        std::lock_guard lock(mutex_);
        woken.insert(woken.end(), woken_.begin(), woken_.end());
        woken_.clear();
        adopted.swap(adopted_);
        return adopted;
    }
    std::vector<ConnectionPtr> take_adopted() {
        std::vector<std::uint64_t> ignored;
        return take(ignored);
    }

    // At stop, once the engine's threads are gone: see the rule above.
    void hand_on_adopted(EngineHost& host, std::vector<ConnectionPtr>& out) {
        for (auto& conn : take_adopted()) {
            host.connection_opened(conn);
            out.push_back(std::move(conn));
        }
    }

  private:
    bool empty() const { return woken_.empty() && adopted_.empty(); }

    std::mutex mutex_;
    std::vector<std::uint64_t> woken_;
    std::vector<ConnectionPtr> adopted_;
};

}  // namespace netcore
