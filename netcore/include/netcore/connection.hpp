// One accepted TCP connection: its socket, unconsumed input, queued output and close state.
// It belongs to the server, not to an engine, so an engine switch hands it over intact.
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "netcore/byte_buffer.hpp"
#include "netcore/platform.hpp"
#include "netcore/tls.hpp"

namespace netcore {

enum class CloseReason {
    PeerClosed,         // orderly end of stream from the peer
    Reset,              // socket error (reset, timeout, ...)
    Requested,          // our side asked for the close (protocol error, BYE, kick, timeout)
    SendQueueOverflow,  // the peer stopped reading and max_send_queue was exceeded
    LingerTimeout,      // a graceful close did not finish in time
    ServerStopped,      // the server shut down
    TlsFailed,          // a TLS handshake or record error (Connection::tls_error() says which)
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

// Implemented by engines (netcore/src/engines): what a connection attached to an engine calls.
class WriteWaker {
  public:
    // Output or a close was requested. Called only by the connection, with its lock held
    // (asserted in debug builds): it must touch nothing but the engine's own state.
    virtual void wake(Connection& conn) = 0;
    // Whether the calling thread may make the connection's engine-side calls now (the loop
    // thread, the connection's group thread, its reader or writer...). Debug builds assert it
    // on every engine-side call. Called with the connection's lock held, like wake().
    virtual bool owns_io(const Connection& conn) const = 0;

  protected:
    ~WriteWaker() = default;
};

// Who may touch what (debug builds assert the rows marked *; see docs/architecture.md):
//
// | what                                          | who                                        |
// |-----------------------------------------------|--------------------------------------------|
// | id, peer, opened_at, phase, is_open,          | any thread                                 |
// | peer_has_finished, must_finalize, bytes_in/out|                                            |
// | queued_bytes, output_backlogged,              |                                            |
// | close_requested_at                            |                                            |
// | send, close, abort                            | any thread, holding no engine lock (they   |
// |                                               | call the engine's wake() under this lock)  |
// | context, set_context                          | the handler, from its callbacks; it keeps  |
// |                                               | its own order (netcore never reads it)     |
// | deliver, peer_finished, begin_write,          | * attached: the thread(s) the engine runs  |
// | end_write, shutdown_if_drained, finalize      |   this connection on (owns_io); detached   |
// |                                               |   (between engines, in a test that stands  |
// |                                               |   in for one): whoever holds it            |
// | use_tls                                       | its maker, before an engine has it         |
// | is_tls, tls_info, tls_error                   | any thread                                 |
// | WriteWaker::wake                              | * the connection itself, under its lock    |
// | the engine's state (flush flag, slot),        | netcore/src only, through EngineSlot       |
// | attach, detach                                |                                            |
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
    // Only bytes bound for the wire count: plaintext a TLS session holds until its handshake
    // is done needs the peer's answer read first.
    bool output_backlogged() const;
    Phase phase() const { return phase_.load(std::memory_order_acquire); }
    bool is_open() const { return phase() == Phase::Open; }
    std::chrono::steady_clock::time_point close_requested_at() const;
    bool peer_has_finished() const { return peer_finished_.load(std::memory_order_acquire); }
    // True when the engine should close the socket now.
    bool must_finalize() const {
        const Phase p = phase();
        return p == Phase::Aborting || (p == Phase::ShutdownSent && peer_has_finished());
    }

    // Bytes on the wire (ciphertext on a TLS connection).
    std::uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
    std::uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }

    // ---- TLS (netcore/tls.hpp): a filter between the handler's bytes and the wire ----
    // Its maker (Server/Client), before any engine has the connection: from now on send()
    // encrypts, deliver() decrypts, a graceful close sends close_notify. A client session's
    // first flight is queued at once.
    // `host`: for a client, the name to verify and send as SNI.
    void use_tls(TlsContext& context, std::string_view host = {});
    bool is_tls() const { return tls_ != nullptr; }
    std::optional<TlsInfo> tls_info() const;  // nullopt: plaintext; empty strings: handshaking
    std::string tls_error() const;            // why it closed with TlsFailed, else ""

    // ---- the handler's own per-connection state (the chat session) ----
    // context<T>() returns what set_context<T>() stored; debug builds check that T is the type
    // stored. netcore never reads it.
    template <class T>
    void set_context(T* context) {
        context_ = const_cast<void*>(static_cast<const void*>(context));
        context_type_ = context ? &type_key<T> : nullptr;
    }
    template <class T>
    T* context() const {
        assert(!context_type_ || context_type_ == &type_key<T>);
        return static_cast<T*>(context_);
    }

    // ---- engine side: the engine's thread(s) while attached (asserted), else the holder ----
    // Bytes to write next; they stay valid and unchanged until end_write().
    std::span<const std::byte> begin_write();
    // Records `sent` bytes as written; true while output remains.
    bool end_write(std::size_t sent);
    // After a write attempt: once a graceful close has drained, send our FIN.
    void shutdown_if_drained();
    // The peer sent its FIN: answer what it asked for, then close (a half-close).
    void peer_finished();
    // Passes received bytes to the handler together with any earlier unconsumed tail.
    void deliver(std::span<const std::byte> data, ConnectionHandler& handler);
    // Closes the socket; returns the reason to report (a requested close wins over `observed`).
    CloseReason finalize(CloseReason observed);

  private:
    friend class EngineSlot;  // netcore/src/engine_slot.hpp: the engines' side of this class
    template <class T>
    static constexpr char type_key = 0;  // one address per type: the context's type tag

    class Lock;  // the mutex, and (debug builds) which thread holds it
    void request_phase(Phase next, CloseReason reason);
    bool has_pending_work() const;      // call locked: output queued, or a close to carry out
    void check_io_thread() const;       // call locked: asserts the engine-side caller (debug)
    std::size_t queued_locked() const;  // call locked: output bytes, held plaintext included
    void tls_failed_locked();  // call locked: keeps the session's error, ends the connection
    // deliver() on a TLS connection: decrypts into input_, then calls the handler unlocked.
    void deliver_tls(std::span<const std::byte> data, bool first_bytes, ConnectionHandler& handler);
    void attach(WriteWaker* waker, std::uintptr_t slot);  // through EngineSlot only
    void detach();

    const std::uint64_t id_;
    socket_t socket_;
    const std::string peer_;
    const std::size_t max_send_queue_;
    const std::chrono::steady_clock::time_point opened_at_;

    mutable std::mutex mutex_;  // guards pending_, inflight_, waker_, slot_, reason_, close time
    mutable std::atomic<std::thread::id> lock_holder_{};  // set by Lock in debug builds
    ByteBuffer pending_;                                  // appended by producers
    ByteBuffer inflight_;                                 // being written by the engine
    WriteWaker* waker_ = nullptr;
    CloseReason reason_ = CloseReason::PeerClosed;
    bool reason_set_ = false;
    std::chrono::steady_clock::time_point close_requested_at_{};
    std::atomic<Phase> phase_{Phase::Open};
    std::atomic<bool> peer_finished_{false};

    // The engine's own per-connection state, reached through EngineSlot.
    std::atomic<bool> flush_scheduled_{false};  // already queued for the engine's next flush
    std::uintptr_t slot_ = 0;                   // the engine's handle: a pointer or an index

    void* context_ = nullptr;  // the handler's
    const char* context_type_ = nullptr;

    // The TLS session (set by use_tls before the connection is shared; guarded by mutex_ from
    // then on) and why it failed (guarded by mutex_).
    std::unique_ptr<TlsSession> tls_;
    std::string tls_error_;
    bool tls_server_ = false;  // set with tls_: a server session refuses a plaintext client

    ByteBuffer input_;  // unconsumed input (plaintext), touched only by the reading engine
    std::atomic<std::uint64_t> bytes_in_{0};
    std::atomic<std::uint64_t> bytes_out_{0};
};

}  // namespace netcore
