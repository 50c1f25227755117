// The completion family's base, written once: io_uring, iocp, overlapped_event and
// overlapped_callback post operations (a receive, a send) and hear later that they finished.
// What a finished operation means for its connection is the same for all four and lives here:
// operations in flight, delivering input, answering, backpressure and resuming reads, a close
// that waits until nothing is in flight, handing back at stop, and the counters. An engine
// keeps its model only: how it submits and cancels an operation (the four hooks below), and how
// it learns of a completion (a CQE, a port packet, a signalled event, a completion routine),
// which it hands to the flow functions.
//
// An idle connection owns no receive buffer on any engine of the family. A Windows engine posts
// a zero-byte WSARecv, which finishes once data (or the FIN, or an error) is there; only then
// is the data read, into the thread's scratch buffer (receive_ready). io_uring's multishot
// recv picks a buffer from a ring the kernel fills on demand (received).
//
// Threads: every flow function runs on the thread serving the connection at that moment (the
// loop thread, the connection's group thread, or the pool worker holding its lock); one
// connection is never served by two threads at once. The hooks are called from there too.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine_counters.hpp"
#include "engine_slot.hpp"
#include "netcore/engine.hpp"

namespace netcore {

// One connection under a completion engine: at most one receive and one send in flight. An
// engine derives its own (its OVERLAPPEDs, its group) and finds it from wake() through
// EngineSlot.
struct CompletionConn {
    ConnectionPtr conn;
    bool receiving = false;  // a receive is posted (a multishot recv: until its last completion)
    bool sending = false;    // a send is posted; its bytes (begin_write) stay put until end_write
    bool closing = false;    // what was in flight is cancelled; finalized once nothing is
    bool paused = false;     // backpressure: no receive until the peer's own output drains
    bool deferred = false;   // the engine posts the next receive itself (io_uring: no buffers)
    bool finished = false;   // finalized and forgotten by the engine
    CloseReason observed = CloseReason::PeerClosed;
    // Input a receive had already taken when reading was paused (io_uring's multishot recv
    // reads ahead; a zero-byte receive never does): handed over, in order, as the answers drain.
    std::vector<std::byte> held;

    bool in_flight() const { return receiving || sending; }
};

class CompletionEngine : public Engine, protected WriteWaker {
  public:
    std::string_view name() const final { return name_; }

  protected:
    explicit CompletionEngine(std::string_view name) : name_(name) {}

    // ---- the model ----
    // Posts a receive (zero bytes on Windows). 0, or the model's error: the flow then closes
    // the connection, saying why.
    virtual int submit_receive(CompletionConn& c) = 0;
    // Posts a send of `bytes` (stable until its completion). 0, or the model's error.
    virtual int submit_send(CompletionConn& c, std::span<const std::byte> bytes) = 0;
    // Asks what is in flight to finish now (the receive only, or both); each cancelled
    // operation still completes, and the flow waits for it.
    enum class Cancel { Receive, Both };
    virtual void cancel(CompletionConn& c, Cancel which) = 0;
    // The connection is finalized and nothing is in flight: the engine lets go of `c`.
    virtual void forget(CompletionConn& c) = 0;

    // ---- the flow: what each completion means (on the thread serving `c`) ----
    // Attaches the connection (wake-ups start), opens it when `needs_open` (the handler hears
    // on_open before any data), posts its first receive. `c` may be gone after it returns.
    void open(CompletionConn& c, bool needs_open);
    // wake() asked for output or a close to be carried out.
    void woken(CompletionConn& c);
    // A zero-byte receive finished: the data is there (or the FIN, or an error), read it now.
    void receive_ready(CompletionConn& c, bool ok);
    // Bytes a receive brought (io_uring); end_receive() follows when it will bring no more.
    void received(CompletionConn& c, std::span<const std::byte> bytes);
    void end_receive(CompletionConn& c);
    // The receive saw the peer's FIN (io_uring: a zero-byte completion).
    void peer_finished(CompletionConn& c);
    // A send finished with `bytes` written (0 when it failed or was cancelled).
    void sent(CompletionConn& c, std::size_t bytes, bool failed);
    // After the engine's own event for `c` (a receive put off, an error it saw): carries on.
    void settle(CompletionConn& c);
    void begin_close(CompletionConn& c, CloseReason reason);

    // Stopping: stop_posting() first; then, until none is in flight, drain() each connection:
    // input already taken goes to the handler (the next engine reads what follows), the receive
    // is cancelled, and the send once `sends_too` (see SendGrace).
    void start_posting() { stopping_.store(false, std::memory_order_release); }
    void stop_posting() { stopping_.store(true, std::memory_order_release); }
    bool stopping() const { return stopping_.load(std::memory_order_acquire); }
    void drain(CompletionConn& c, bool sends_too);

    // A send in flight at stop gets a moment (1.5 s) to finish before it is cancelled: Windows
    // does not say how much of a cancelled WSASend went out. io_uring's cancel is exact, and
    // its sends are cancelled at once.
    class SendGrace {
      public:
        explicit SendGrace(std::chrono::milliseconds grace = std::chrono::milliseconds(1500))
            : grace_(grace) {}
        bool over() {
            const auto now = std::chrono::steady_clock::now();
            if (deadline_ == std::chrono::steady_clock::time_point{}) deadline_ = now + grace_;
            return now >= deadline_;
        }

      private:
        std::chrono::milliseconds grace_;
        std::chrono::steady_clock::time_point deadline_{};
    };

    // The counters every engine of the family reports; details() adds what is in flight.
    void count_wakeup() { counters_.wakeup(); }
    void count_events(std::uint64_t n) { counters_.events(n); }
    void count_syscalls(std::uint64_t n) { counters_.syscalls(n); }
    // Operations of the engine's own (accepts, wake-ups) that stop() must see finish.
    void op_posted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    void op_done() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }
    std::int64_t ops_in_flight() const { return in_flight_.load(std::memory_order_acquire); }
    EngineStats base_stats(std::uint64_t threads) const;

    EngineHost* host_ = nullptr;

  private:
    void post_receive(CompletionConn& c);
    void post_send(CompletionConn& c);
    void deliver_held(CompletionConn& c, bool all);
    void resume_if_drained(CompletionConn& c);
    void fail(CompletionConn& c, const char* what, int error);

    const std::string_view name_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::int64_t> in_flight_{0};
    EngineCounters counters_;
};

// Serves the keys on the dirty list (woken on the engine's own thread, or taken from its inbox)
// until none is left: serving one may wake more.
template <class Serve>
void serve_dirty(std::vector<std::uint64_t>& dirty, Serve&& serve) {
    std::vector<std::uint64_t> batch;
    while (!dirty.empty()) {
        batch.swap(dirty);
        for (auto key : batch) serve(key);
        batch.clear();
    }
}

}  // namespace netcore
