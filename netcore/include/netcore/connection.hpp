// One accepted TCP connection: its socket, unconsumed input, queued output and close state.
// It belongs to the server, not to an engine, so an engine switch hands it over intact.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "netcore/byte_buffer.hpp"
#include "netcore/platform.hpp"

namespace netcore {

enum class CloseReason {
    PeerClosed,         // orderly end of stream from the peer
    Reset,              // socket error (reset, timeout, ...)
    Requested,          // our side asked for the close (protocol error, BYE, kick, timeout)
    SendQueueOverflow,  // the peer stopped reading and max_send_queue was exceeded
    LingerTimeout,      // a graceful close did not finish in time
    ServerStopped,      // the server shut down
};
const char* to_string(CloseReason reason);

class Connection;
using ConnectionPtr = std::shared_ptr<Connection>;

// What the application (the chat service) implements. For one connection, calls never overlap.
class ConnectionHandler {
  public:
    virtual ~ConnectionHandler() = default;
    virtual void on_open(const ConnectionPtr& conn) = 0;
    // `data` is all input not consumed so far; returns how many leading bytes it consumed.
    virtual std::size_t on_data(Connection& conn, std::span<const std::byte> data) = 0;
    virtual void on_close(Connection& conn, CloseReason reason) = 0;
    // Bytes to send to a connection an engine must turn away (select past FD_SETSIZE...).
    virtual std::string refusal(std::string_view why) { return std::string(why) + "\n"; }
};

// Implemented by engines: output or a close was requested on a connection they own.
// Called with the connection's lock held: must only touch the engine's own state.
class WriteWaker {
  public:
    virtual void wake(Connection& conn) = 0;

  protected:
    ~WriteWaker() = default;
};

class Connection {
  public:
    enum class Phase {
        Open,          // reading and writing
        Draining,      // graceful close requested: flush output, then shut down our side
        ShutdownSent,  // our FIN is out; input is discarded until the peer's FIN
        Aborting,      // close now, dropping output
        Closed,
    };

    Connection(std::uint64_t id, socket_t s, std::string peer, std::size_t max_send_queue);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    std::uint64_t id() const { return id_; }
    socket_t socket() const { return socket_; }
    const std::string& peer() const { return peer_; }
    std::chrono::steady_clock::time_point opened_at() const { return opened_at_; }

    // ---- any thread ----
    // Queues bytes; false if dropped because the connection is closing or the queue overflowed.
    bool send(std::span<const std::byte> bytes);
    void close();                                             // graceful: flush, then FIN
    void abort(CloseReason reason = CloseReason::Requested);  // now, dropping output
    std::size_t queued_bytes() const;
    // Own output past half of max_send_queue: an engine whose reader runs apart from its
    // writer stops taking this peer's requests until the answers drain (backpressure), so
    // a client that reads, only slower, is never cut off for its own pipelined requests.
    bool output_backlogged() const { return queued_bytes() > max_send_queue_ / 2; }
    Phase phase() const { return phase_.load(std::memory_order_acquire); }
    bool is_open() const { return phase() == Phase::Open; }
    std::chrono::steady_clock::time_point close_requested_at() const;

    std::uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
    std::uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }

    void* user_data = nullptr;  // owned by the handler (the chat session)

    // ---- engine side: only the engine that owns the connection calls these ----
    void attach(WriteWaker* waker);  // start receiving wake-ups; wakes at once if work is pending
    void detach();
    bool has_pending_work() const;  // output queued, or a close to carry out

    // Bytes to write next; they stay valid and unchanged until end_write().
    std::span<const std::byte> begin_write();
    // Records `sent` bytes as written; true while output remains.
    bool end_write(std::size_t sent);
    // After a write attempt: once a graceful close has drained, send our FIN.
    void shutdown_if_drained();
    // The peer sent its FIN: answer what it asked for, then close (a half-close).
    void peer_finished();
    bool peer_has_finished() const { return peer_finished_.load(std::memory_order_acquire); }
    // True when the engine should close the socket now.
    bool must_finalize() const {
        const Phase p = phase();
        return p == Phase::Aborting || (p == Phase::ShutdownSent && peer_has_finished());
    }

    // Passes received bytes to the handler together with any earlier unconsumed tail.
    void deliver(std::span<const std::byte> data, ConnectionHandler& handler);

    // Closes the socket; returns the reason to report (a requested close wins over `observed`).
    CloseReason finalize(CloseReason observed);

    std::atomic<bool> flush_scheduled{false};  // engine bookkeeping: already queued for a flush
    bool input_paused = false;    // engine bookkeeping: reading stopped until output drains
    void* engine_slot = nullptr;  // engine bookkeeping: its per-connection state

  private:
    void request_phase(Phase next, CloseReason reason);

    const std::uint64_t id_;
    socket_t socket_;
    const std::string peer_;
    const std::size_t max_send_queue_;
    const std::chrono::steady_clock::time_point opened_at_;

    mutable std::mutex mutex_;  // guards pending_, inflight_, waker_, reason_, close time
    ByteBuffer pending_;        // appended by producers
    ByteBuffer inflight_;       // being written by the engine
    WriteWaker* waker_ = nullptr;
    CloseReason reason_ = CloseReason::PeerClosed;
    bool reason_set_ = false;
    std::chrono::steady_clock::time_point close_requested_at_{};
    std::atomic<Phase> phase_{Phase::Open};
    std::atomic<bool> peer_finished_{false};

    ByteBuffer input_;  // unconsumed input, touched only by the reading engine
    std::atomic<std::uint64_t> bytes_in_{0};
    std::atomic<std::uint64_t> bytes_out_{0};
};

}  // namespace netcore
