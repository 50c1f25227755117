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
    std::size_t send_size = 0;  // bytes of the send in flight: a completion reports no more
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
    // A send finished with `bytes` written, as the model reports them: a failed or cancelled
    // send may still have sent part (io_uring's res, the transferred count of an aborted
    // WSASend), and that part is never sent again.
    void sent(CompletionConn& c, std::size_t bytes, bool failed);
    // After the engine's own event for `c` (a receive put off, an error it saw): carries on.
    void settle(CompletionConn& c);
    void begin_close(CompletionConn& c, CloseReason reason);

    // Stopping: stop_posting() first; then, until none is in flight, drain() each connection:
    // input already taken goes to the handler (the next engine reads what follows), the receive
    // is cancelled, and the send once `sends_too` (see StopClock).
    void start_posting() {
        // A stop that gave up (abandon()) left operations counted that never report.
        in_flight_.store(0, std::memory_order_relaxed);
        abandoned_ = 0;
        abandoned_ops_ = 0;
        stopping_.store(false, std::memory_order_release);
    }
    void stop_posting() { stopping_.store(true, std::memory_order_release); }
    bool stopping() const { return stopping_.load(std::memory_order_acquire); }
    void drain(CompletionConn& c, bool sends_too);

    // stop()'s clock: every stop, and so every switch, ends in bounded time whatever the
    // clients or the system do. A send in flight gets kSendGrace to finish on its own (an
    // answer about to go out is not cut); then everything is cancelled. The grace is a quarter
    // of the 1 s a switch may take (tests/conformance/stop_bounds_test.cpp), leaving the rest
    // to the cancelled operations' completions and the next engine's start; cutting a send
    // early costs nothing, as the part it sent is accounted (sent()). A completion that has
    // not come kCancelWait after the cancel is taken never to come (seen once under Wine):
    // the engine then gives up on what is left (abandon()) and returns.
    class StopClock {
      public:
        static constexpr std::chrono::milliseconds kSendGrace{250};
        static constexpr std::chrono::milliseconds kCancelWait{2000};
        // The clock starts at the first call of either.
        bool sends_due() { return elapsed() >= kSendGrace; }
        bool given_up() { return elapsed() >= kSendGrace + kCancelWait; }

      private:
        std::chrono::steady_clock::duration elapsed() {
            const auto now = std::chrono::steady_clock::now();
            if (start_ == std::chrono::steady_clock::time_point{}) start_ = now;
            return now - start_;
        }
        std::chrono::steady_clock::time_point start_{};
    };

    // stop()'s last resort, once its clock gave up, for a connection whose operations have
    // not completed: closes it (the host hears it reset; closing the socket also ends the
    // operations wherever the system still can) and counts it for report_abandoned(). The
    // engine then drops `c` from its tables WITHOUT freeing it, nor what its operations point
    // into (its OVERLAPPEDs, the send's bytes in c.conn): the kernel may still write or read
    // there. That leak is deliberate, and only in this pathological case.
    void abandon(CompletionConn& c);
    // Logs loudly, with the engine's name, what the stop gave up on; once per stop.
    void report_abandoned();

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
    std::atomic<std::size_t> abandoned_{0};  // connections, since start_posting()
    std::atomic<std::int64_t> abandoned_ops_{0};
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
