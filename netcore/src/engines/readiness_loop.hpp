// The readiness family's loop, written once: a thread that waits in its Poller (poller.hpp)
// for what fired and then accepts, reads, writes and closes; the inbox other threads hand it
// wake-ups and adopted connections through; the dirty list (output queued on the loop
// thread, flushed once per batch: an ECHO burst becomes one send) and the carry list (input
// left past the read budget, or put off for backpressure on an edge-triggered model); and the
// counters. epoll, poll, select and the Windows readiness models are Pollers it drives.
//
// Threads: start(), stop() and stats() from the engine's owner; adopt() and wake() from any
// thread; everything else on the loop thread only (asserted in debug builds).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "poller.hpp"
#include "wake_inbox.hpp"

namespace netcore {

class ReadinessLoop final : private WriteWaker {
  public:
    explicit ReadinessLoop(std::unique_ptr<Poller> poller);
    ~ReadinessLoop();
    ReadinessLoop(const ReadinessLoop&) = delete;
    ReadinessLoop& operator=(const ReadinessLoop&) = delete;

    const PollerTraits& traits() const { return poller_->traits(); }

    // Empty, or why the poller cannot watch one of these connections (Engine::cannot_adopt).
    std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const;
    // Opens the poller on the loop thread, watches the listeners (none on a client) and
    // registers `adopted` (opened by an earlier engine); throws what the poller could not do.
    void start(EngineHost& host, const Listeners& listeners, std::vector<ConnectionPtr> adopted);
    // Any thread: the loop registers the connection and opens it (Engine::adopt).
    void adopt(ConnectionPtr conn);
    // Ends the loop after its current turn and hands back every connection (Engine::stop).
    std::vector<ConnectionPtr> stop();
    // Adds the loop's thread and counters to `s`; describe() adds the poller's own facts.
    void stats(EngineStats& s) const;
    void describe(EngineStats& s) const { poller_->describe(s); }
    std::uint64_t registered() const;
    std::uint64_t turned_away() const;
    // Connections registered here or on their way (adopted, not yet taken).
    std::size_t load() const { return load_.load(std::memory_order_relaxed); }

  private:
    struct Entry {
        ConnectionPtr conn;      // null: the key is free
        Interest interest;       // what the poller was last told
        bool paused = false;     // backpressure: input put off until the output drains
        bool blocked = false;    // the last flush would have blocked: writability wanted
        bool refire_on = false;  // on the carry list already
    };

    void wake(Connection& conn) override;
    bool owns_io(const Connection& conn) const override;
    bool on_loop_thread() const { return t_loop == this; }

    void run(std::vector<ConnectionPtr> adopted);
    std::string open_poller();
    void turn(std::vector<Fired>& fired);
    void on_wait_error(int error);
    void take_inbox();
    void accept();

    // Watches the connection and attaches it; opens it when `open` (then the handler hears
    // of it even when it cannot be watched, and of its close right after). False if closed.
    bool add(const ConnectionPtr& conn, bool open);
    Entry* find(std::uint64_t key);
    void serve(std::uint32_t key, bool readable, bool writable, ReadUntil until);
    void update_interest(std::uint32_t key, Entry& e);
    void close(std::uint32_t key, CloseReason observed);
    void serve_carried();
    void serve_dirty();
    bool drop_invalid_sockets();
    void release_all();
    void count_interest_call() {
        if (traits().interest_in_kernel) ++calls_;
    }

    static inline thread_local const ReadinessLoop* t_loop = nullptr;

    const std::unique_ptr<Poller> poller_;
    EngineHost* host_ = nullptr;
    Listeners listeners_;
    std::thread thread_;
    std::promise<std::string> ready_;  // the loop thread's setup: empty, or what failed
    std::atomic<bool> stopping_{false};
    WakeInbox inbox_;

    // Loop thread only.
    std::vector<Entry> entries_;             // by key - kFirstConnectionKey
    std::vector<std::uint32_t> free_keys_;   // reusable
    std::vector<std::uint32_t> freed_keys_;  // freed in this batch: later events may name them
    std::vector<ConnectionPtr> closed_;      // closed in this batch, kept alive to its end
    std::vector<std::uint64_t> dirty_;       // keys woken for output on this thread or others
    std::vector<std::uint64_t> serving_;     // the dirty keys being flushed
    std::vector<ConnectionPtr> accepted_;    // accepted and opened in this turn, to watch
    std::vector<std::uint32_t> carry_;       // keys to read again without waiting
    bool accept_again_ = false;              // the last accept batch was full
    std::uint64_t calls_ = 0;                // system calls of this turn
    std::size_t registered_count_ = 0;
    std::chrono::steady_clock::time_point last_error_log_{};

    std::atomic<std::size_t> load_{0};
    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, registered_{0};
    std::atomic<std::uint64_t> turned_away_{0};
};

// An engine that is one loop over one poller: epoll, poll, select, async_select.
std::unique_ptr<Engine> make_readiness_engine(std::unique_ptr<Poller> poller);

}  // namespace netcore
