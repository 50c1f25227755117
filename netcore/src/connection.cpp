#include "netcore/connection.hpp"

#include "checks.hpp"

#ifndef _WIN32
#include <sys/socket.h>
#endif

namespace netcore {

const char* to_string(CloseReason reason) {
    switch (reason) {
        case CloseReason::PeerClosed:
            return "peer closed";
        case CloseReason::Reset:
            return "connection reset";
        case CloseReason::Requested:
            return "closed by server";
        case CloseReason::SendQueueOverflow:
            return "send queue overflow";
        case CloseReason::LingerTimeout:
            return "close timed out";
        case CloseReason::ServerStopped:
            return "server stopped";
        case CloseReason::TlsFailed:
            return "TLS failed";
    }
    return "unknown";
}

// The connection's mutex; debug builds record the holder, so wake() can assert it runs under it.
class Connection::Lock {
  public:
    explicit Lock(const Connection& c) : c_(c) {
        c_.mutex_.lock();
#if NETCORE_CHECKS
        c_.lock_holder_.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
    }
    ~Lock() {
#if NETCORE_CHECKS
        c_.lock_holder_.store(std::thread::id(), std::memory_order_relaxed);
#endif
        c_.mutex_.unlock();
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

  private:
    const Connection& c_;
};

Connection::Connection(std::uint64_t id, socket_t s, std::string peer, std::size_t max_send_queue)
    : id_(id),
      socket_(s),
      peer_(std::move(peer)),
      max_send_queue_(max_send_queue),
      opened_at_(std::chrono::steady_clock::now()) {}

Connection::~Connection() {
    if (socket_ != kInvalidSocket) close_socket(socket_);
}

bool Connection::send(std::span<const std::byte> bytes) {
    Lock lock(*this);
    if (phase() != Phase::Open) return false;
    if (queued_locked() + bytes.size() > max_send_queue_) {
        request_phase(Phase::Aborting, CloseReason::SendQueueOverflow);
        return false;
    }
    const bool was_idle = pending_.empty() && inflight_.empty();
    if (!tls_) {
        pending_.append(bytes);
    } else if (tls_->send(bytes, pending_) == TlsSession::Status::Failed) {
        tls_failed_locked();
        return false;
    }
    if (was_idle && !pending_.empty() && waker_) waker_->wake(*this);
    return true;
}

std::size_t Connection::queued_locked() const {
    return pending_.size() + inflight_.size() + (tls_ ? tls_->held_bytes() : 0);
}

void Connection::use_tls(TlsContext& context, std::string_view host) {
    auto session = context.new_session(host);
    Lock lock(*this);
    tls_server_ = context.is_server();
    tls_ = std::move(session);
    tls_->start(pending_);  // a client's ClientHello: the engine sends it once attached
}

std::optional<TlsInfo> Connection::tls_info() const {
    Lock lock(*this);
    if (!tls_) return std::nullopt;
    return tls_->info();
}

std::string Connection::tls_error() const {
    Lock lock(*this);
    return tls_error_;
}

void Connection::tls_failed_locked() {
    tls_error_ = tls_->error();
    // Gracefully, so the alert the session wrote (the peer's reason) goes out before the FIN.
    if (phase() == Phase::Open) request_phase(Phase::Draining, CloseReason::TlsFailed);
}

void Connection::close() {
    Lock lock(*this);
    if (phase() == Phase::Open) request_phase(Phase::Draining, CloseReason::Requested);
}

void Connection::abort(CloseReason reason) {
    Lock lock(*this);
    if (phase() != Phase::Aborting && phase() != Phase::Closed)
        request_phase(Phase::Aborting, reason);
}

void Connection::request_phase(Phase next, CloseReason reason) {
    if (!reason_set_) {
        reason_ = reason;
        reason_set_ = true;
        close_requested_at_ = std::chrono::steady_clock::now();
    }
    phase_.store(next, std::memory_order_release);
    // A graceful close of a TLS session ends with our close_notify (none before a handshake).
    if (next == Phase::Draining && tls_) tls_->close(pending_);
    if (next == Phase::Aborting) pending_.clear();  // inflight_ may be in the kernel's hands
    if (waker_) waker_->wake(*this);
}

std::size_t Connection::queued_bytes() const {
    Lock lock(*this);
    return queued_locked();
}

bool Connection::output_backlogged() const {
    Lock lock(*this);
    return pending_.size() + inflight_.size() > max_send_queue_ / 2;
}

std::chrono::steady_clock::time_point Connection::close_requested_at() const {
    Lock lock(*this);
    return close_requested_at_;
}

void Connection::attach(WriteWaker* waker, std::uintptr_t slot) {
    Lock lock(*this);
    waker_ = waker;
    slot_ = slot;
    flush_scheduled_.store(false, std::memory_order_relaxed);
    if (waker_ && has_pending_work()) waker_->wake(*this);
}

void Connection::detach() {
    Lock lock(*this);
    waker_ = nullptr;
    slot_ = 0;
}

bool Connection::has_pending_work() const {
    return !pending_.empty() || !inflight_.empty() || phase() != Phase::Open;
}

void Connection::check_io_thread() const {
    NETCORE_CHECK(!waker_ || waker_->owns_io(*this),
                  "engine-side call on a connection from a thread its engine does not run it on");
}

std::span<const std::byte> Connection::begin_write() {
    Lock lock(*this);
    check_io_thread();
    if (phase() == Phase::Aborting || phase() == Phase::Closed) return {};
    if (inflight_.empty()) {
        inflight_.swap(pending_);
        pending_.clear();
    }
    return inflight_.readable();
}

bool Connection::end_write(std::size_t sent) {
    bytes_out_.fetch_add(sent, std::memory_order_relaxed);
    Lock lock(*this);
    check_io_thread();
    inflight_.consume(sent);
    if (inflight_.empty() && pending_.empty()) {
        // Keep small buffers for reuse, return big ones so idle sessions stay cheap.
        if (inflight_.capacity() > 64 * 1024) inflight_.release_if_empty();
        if (pending_.capacity() > 64 * 1024) pending_.release_if_empty();
        return false;
    }
    return phase() != Phase::Aborting;
}

void Connection::shutdown_if_drained() {
    Lock lock(*this);
    check_io_thread();
    if (phase() != Phase::Draining || !pending_.empty() || !inflight_.empty()) return;
#ifdef _WIN32
    ::shutdown(socket_, SD_SEND);
#else
    ::shutdown(socket_, SHUT_WR);
#endif
    phase_.store(Phase::ShutdownSent, std::memory_order_release);
}

void Connection::peer_finished() {
    Lock lock(*this);
    check_io_thread();
    peer_finished_.store(true, std::memory_order_release);
    if (phase() != Phase::Open) return;
    if (tls_ && !tls_->handshake_done()) {
        // Not TLS at the other end (or it gave up): the session never started.
        tls_error_ = "the peer closed the connection during the TLS handshake";
        request_phase(Phase::Draining, CloseReason::TlsFailed);
        return;
    }
    request_phase(Phase::Draining, CloseReason::PeerClosed);
}

void Connection::deliver(std::span<const std::byte> data, ConnectionHandler& handler) {
#if NETCORE_CHECKS
    {
        Lock lock(*this);
        check_io_thread();
    }
#endif
    const bool first_bytes = bytes_in_.fetch_add(data.size(), std::memory_order_relaxed) == 0;
    if (phase() != Phase::Open) return;  // closing: input is no longer wanted
    if (tls_) return deliver_tls(data, first_bytes, handler);
    if (input_.empty()) {
        const std::size_t used = handler.on_data(*this, data);
        if (used < data.size()) input_.append(data.subspan(used));
        return;
    }
    input_.append(data);
    const std::size_t used = handler.on_data(*this, input_.readable());
    input_.consume(used);
    if (input_.empty()) input_.release_if_empty();
}

// Ciphertext in: decrypted into input_ under the lock (the session's answer, a handshake
// flight, is queued like a send), then the plaintext goes to the handler outside it, as above.
void Connection::deliver_tls(std::span<const std::byte> data, bool first_bytes,
                             ConnectionHandler& handler) {
    if (data.empty()) return;
    if (first_bytes && tls_server_ && data[0] != std::byte{0x16}) {
        // Not a TLS handshake record: someone typing into telnet learns why, in clear.
        const std::string refusal = handler.refusal("this port speaks TLS");
        Lock lock(*this);
        if (phase() != Phase::Open) return;
        tls_error_ = "a client spoke plaintext on a TLS port";
        pending_.append(std::as_bytes(std::span(refusal)));
        request_phase(Phase::Draining, CloseReason::TlsFailed);
        return;
    }
    TlsSession::Status status;
    {
        Lock lock(*this);
        if (phase() != Phase::Open) return;
        const bool was_idle = pending_.empty() && inflight_.empty();
        status = tls_->receive(data, input_, pending_);
        if (status == TlsSession::Status::Failed) return tls_failed_locked();
        if (was_idle && !pending_.empty() && waker_) waker_->wake(*this);
    }
    if (!input_.empty()) {
        const std::size_t used = handler.on_data(*this, input_.readable());
        input_.consume(used);
        if (input_.empty()) input_.release_if_empty();
    }
    if (status == TlsSession::Status::Closed) {
        // The peer's close_notify: its answers go out, then ours and the FIN (a half-close).
        Lock lock(*this);
        if (phase() == Phase::Open) request_phase(Phase::Draining, CloseReason::PeerClosed);
    }
}

CloseReason Connection::finalize(CloseReason observed) {
    Lock lock(*this);
    check_io_thread();
    if (socket_ != kInvalidSocket) {
        close_socket(socket_);
        socket_ = kInvalidSocket;
    }
    phase_.store(Phase::Closed, std::memory_order_release);
    pending_.clear();
    waker_ = nullptr;
    slot_ = 0;
    return reason_set_ ? reason_ : observed;
}

}  // namespace netcore
