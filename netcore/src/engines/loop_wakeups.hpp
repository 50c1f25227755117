// What other threads hand a loop engine (epoll, poll, select): ids of connections woken for
// output, and sockets connected elsewhere to adopt. The loop takes both in one lock.
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
    // Both return true when the inbox was empty: the loop must be signalled once.
    bool post_wake(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        woken_.push_back(id);
        return first;
    }
    bool post_adopt(ConnectionPtr conn) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        adopted_.push_back(std::move(conn));
        return first;
    }

    // Loop thread: appends the woken ids to `dirty` and returns the connections to adopt.
    std::vector<ConnectionPtr> take(std::vector<std::uint64_t>& dirty) {
        std::vector<ConnectionPtr> adopted;
        std::lock_guard lock(mutex_);
        dirty.insert(dirty.end(), woken_.begin(), woken_.end());
        woken_.clear();
        adopted.swap(adopted_);
        return adopted;
    }

    // At stop: connections adopted but never registered are opened and handed on with the
    // rest, so the next engine (or the client's shutdown) sees every one of them.
    void hand_on_adopted(EngineHost& host, std::vector<ConnectionPtr>& out) {
        std::vector<std::uint64_t> ignored;
        for (auto& conn : take(ignored)) {
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

namespace netcore {

// What the one-loop readiness engines (epoll, poll, select) share: output woken on the loop
// thread joins a dirty list without a system call and is flushed once per batch; wake-ups
// and adoptions from other threads go through the inbox, and the loop is signalled once.
class LoopWakeups {
  public:
    // Engine::wake. True when the caller must signal the loop.
    bool wake(Connection& conn) {
        NETCORE_CHECK_WAKE(conn);
        if (!EngineSlot::schedule_flush(conn)) return false;
        if (t_running == this) {
            dirty_.push_back(conn.id());
            return false;
        }
        return inbox_.post_wake(conn.id());
    }
    bool adopt(ConnectionPtr conn) { return inbox_.post_adopt(std::move(conn)); }

    void enter_loop() { t_running = this; }
    bool on_loop_thread() const { return t_running == this; }
    void leave_loop() { t_running = nullptr; }

    // Loop thread, after the loop was signalled: woken ids join the dirty list; returns
    // the connections to register and open.
    std::vector<ConnectionPtr> take_inbox() { return inbox_.take(dirty_); }
    void hand_on_adopted(EngineHost& host, std::vector<ConnectionPtr>& out) {
        inbox_.hand_on_adopted(host, out);
    }

    // Flushes every connection woken for output, again while serving wakes more.
    // `find(id)` returns the live connection or nullptr; `serve(conn)` returns socket calls.
    template <class Find, class Serve>
    std::uint64_t serve_dirty(Find&& find, Serve&& serve) {
        std::uint64_t calls = 0;
        while (!dirty_.empty()) {
            std::vector<std::uint64_t> batch;
            batch.swap(dirty_);
            for (auto id : batch)
                if (ConnectionPtr conn = find(id); conn && EngineSlot::flush_scheduled(*conn))
                    calls += serve(*conn);
        }
        return calls;
    }

  private:
    std::vector<std::uint64_t> dirty_;
    WakeInbox inbox_;
    static inline thread_local const LoopWakeups* t_running = nullptr;
};

}  // namespace netcore
