// nonblocking: the seeds' busy loop, kept honest. One thread walks the listener and every
// connection over and over, trying a non-blocking accept, recv and send on each and taking
// "would block" for an answer. It never waits in the kernel for readiness, so it burns a
// core even when idle; one sched_yield per pass keeps the machine usable. Cross-thread
// wake-ups are a flag on the connection that the next pass sees.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "wake_inbox.hpp"

namespace netcore {
namespace {

class NonblockingEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "nonblocking"; }

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        for (auto& conn : adopted) add(conn);
        stopping_ = false;
        try {
            thread_ = std::thread([this] { loop(); });
        } catch (...) {
            // Out of threads: nothing ran, and no connection may keep waking this engine once
            // it is gone (the caller gives them back to the old one).
            for (auto& e : conns_) EngineSlot::detach(*e.conn);
            conns_.clear();
            registered_.store(0, std::memory_order_relaxed);
            throw;
        }
    }

    std::vector<ConnectionPtr> stop() override {
        stopping_ = true;
        if (thread_.joinable()) thread_.join();
        std::vector<ConnectionPtr> out;
        for (auto& e : conns_) {
            EngineSlot::detach(*e.conn);
            out.push_back(std::move(e.conn));
        }
        conns_.clear();
        inbox_.hand_on_adopted(*host_, out);
        return out;
    }

    // Picked up on the loop's next pass (an atomic check per pass, no lock when empty).
    void adopt(ConnectionPtr conn) override {
        inbox_.post_adopt(std::move(conn));
        adopt_pending_.store(true, std::memory_order_release);
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "nonblocking";
        s.threads = 1;
        s.wakeups = passes_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        s.details = {{"spins", "yes: never waits in the kernel, one core busy even when idle"},
                     {"passes", std::to_string(s.wakeups)},
                     {"passes per second", std::to_string(passes_per_second_.load())},
                     {"sched_yield per pass", "1"},
                     {"registered sockets", std::to_string(registered_.load())},
                     {"wakeups", "one per pass over every socket"}};
        return s;
    }

  private:
    // No syscall, no lock: the loop visits every connection on its next pass anyway.
    void wake(Connection& conn) override {
        NETCORE_CHECK_WAKE(conn);
        EngineSlot::schedule_flush(conn);
    }
    bool owns_io(const Connection&) const override { return t_loop == this; }

    struct Entry {
        ConnectionPtr conn;
        bool want_write = false;  // the last send would have blocked: retry every pass
    };

    void add(const ConnectionPtr& conn) {
        conns_.push_back(Entry{conn, false});
        registered_.store(conns_.size(), std::memory_order_relaxed);
        EngineSlot::attach(*conn, this);
    }

    void loop() {
        using clock = std::chrono::steady_clock;
        auto window_start = clock::now();
        std::uint64_t window_passes = 0;
        t_loop = this;
        while (!stopping_) {
            std::uint64_t calls = 0, events = 0;
            for (socket_t listener : listeners_) {
                const auto a = accept_pending(listener, *host_, 64,
                                              [this](const ConnectionPtr& c) { add(c); });
                calls += a.calls;
                events += a.accepted;
            }
            if (adopt_pending_.load(std::memory_order_acquire)) take_adopted();
            // Swap-and-pop removal: index i is revisited when a connection closes.
            for (std::size_t i = 0; i < conns_.size();) {
                if (serve(i, calls, events)) ++i;
            }
            syscalls_.fetch_add(calls, std::memory_order_relaxed);
            events_.fetch_add(events, std::memory_order_relaxed);
            passes_.fetch_add(1, std::memory_order_relaxed);
            ++window_passes;
            const auto now = clock::now();
            if (now - window_start >= std::chrono::seconds(1)) {
                const auto ms =
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - window_start)
                        .count();
                passes_per_second_.store(window_passes * 1000 / static_cast<std::uint64_t>(ms),
                                         std::memory_order_relaxed);
                window_start = now;
                window_passes = 0;
            }
            std::this_thread::yield();
        }
        t_loop = nullptr;
    }

    // Tries to read and write connection i; false when it closed (and left the vector).
    bool serve(std::size_t i, std::uint64_t& calls, std::uint64_t& events) {
        Entry& e = conns_[i];
        Connection& conn = *e.conn;
        // After the peer's FIN recv() would return 0 forever: input is over.
        if (!conn.peer_has_finished()) {
            const auto r = read_available(conn, host_->handler(), read_scratch());
            calls += r.calls;
            if (r.bytes > 0) ++events;
            if (r.failed) return close(i, CloseReason::Reset);
        }
        const bool woken = EngineSlot::take_flush(conn);
        if (e.want_write || woken) {
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.bytes > 0) ++events;
            if (w.failed) return close(i, CloseReason::Reset);
            conns_[i].want_write = w.blocked;
        }
        if (conn.must_finalize()) return close(i, CloseReason::PeerClosed);
        return true;
    }

    void take_adopted() {
        adopt_pending_.store(false, std::memory_order_release);
        for (auto& conn : inbox_.take_adopted()) {
            add(conn);
            host_->connection_opened(conn);
        }
    }

    bool close(std::size_t i, CloseReason observed) {
        ConnectionPtr conn = std::move(conns_[i].conn);
        if (i + 1 != conns_.size()) conns_[i] = std::move(conns_.back());
        conns_.pop_back();
        registered_.store(conns_.size(), std::memory_order_relaxed);
        finalize_connection(*conn, *host_, observed);
        return false;
    }

    static inline thread_local const NonblockingEngine* t_loop = nullptr;

    EngineHost* host_ = nullptr;
    Listeners listeners_;
    std::atomic<bool> stopping_{false};
    WakeInbox inbox_;  // connections adopted from other threads
    std::atomic<bool> adopt_pending_{false};
    std::thread thread_;

    std::vector<Entry> conns_;  // loop thread only

    std::atomic<std::uint64_t> passes_{0}, events_{0}, syscalls_{0}, registered_{0};
    std::atomic<std::uint64_t> passes_per_second_{0};
};

}  // namespace

std::unique_ptr<Engine> make_nonblocking_engine() {
    return std::make_unique<NonblockingEngine>();
}

}  // namespace netcore
