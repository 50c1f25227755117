// blocking: the first server everyone writes. Blocking sockets and threads that sleep in
// them: an acceptor in accept() (one per listening socket), and per connection a reader in
// recv() and a writer that sleeps on a condition variable until output is queued and then
// sits in send(). A client that never reads stalls only its own writer. Every blocking call
// has a ~100 ms timeout (SO_RCVTIMEO / SO_SNDTIMEO) and every thread makes one socket call at
// a time and then looks at its stop request, so an engine switch takes the sockets back,
// without closing them, within about two timeouts whatever the peers send. (On Windows the
// writer waits for an overlapped send instead: see Sender.) Two threads per connection cost
// memory and scheduling: the engine serves at most kMaxConnections and turns the rest away.
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/time.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine_counters.hpp"
#include "engine_slot.hpp"
#ifdef _WIN32
#include "win_overlapped.hpp"
#endif
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "wake_inbox.hpp"

namespace netcore {
namespace {

constexpr std::size_t kMaxConnections = 2000;  // kTooMany says the same number
constexpr int kTimeoutMs = 100;
// The budget of every stream_io call here: one recv() or one send(), which returns at its
// timeout at the latest, then the thread checks its stop request. A larger budget lets a peer
// that never goes quiet for a whole timeout (a PING every 50 ms) keep the call going, and the
// engine's stop() with it, for as long as it keeps sending.
constexpr std::size_t kOneCall = 1;
constexpr std::string_view kTooMany = "blocking serves at most 2000 connections (two threads each)";

// 0 turns the timeouts off again. (Windows takes a DWORD of milliseconds, and its accept()
// ignores SO_RCVTIMEO: a port must wake the acceptor another way.)
void set_timeouts(socket_t s, int ms, bool send_too) {
#ifdef _WIN32
    const DWORD t = static_cast<DWORD>(ms);
    const char* value = reinterpret_cast<const char*>(&t);
#else
    const timeval t{ms / 1000, (ms % 1000) * 1000};
    const void* value = &t;
#endif
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, value, sizeof t);
    if (send_too) ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, value, sizeof t);
}

// A recv() that ran into SO_RCVTIMEO: EAGAIN on POSIX (already "would block" for stream_io),
// WSAETIMEDOUT on Windows, where it must not read as a dead peer. `error` is the one stream_io
// read right after the call (asked again now, the thread's last error may have been reset).
bool timed_out(int error) {
#ifdef _WIN32
    return error == WSAETIMEDOUT;
#else
    (void)error;
    return false;
#endif
}

// The writer's one send of a turn. POSIX: one blocking send(), SO_SNDTIMEO bounding it.
// Windows: a send() that runs into SO_SNDTIMEO fails with WSAETIMEDOUT after sending bytes it
// does not count (the socket is then "indeterminate", says the documentation; Wine reports a
// partial send as the error alone), and sending them again garbles the stream. So there the
// writer posts an overlapped WSASend and sleeps on its event for up to the timeout: it learns
// exactly what went out, also when a stop cancels it. One writer thread uses one Sender.
#ifdef _WIN32
class Sender {
  public:
    Sender() : event_(::WSACreateEvent()) {
        // Low bit set: no completion reaches a port that an iocp engine bound the socket to.
        if (event_ != WSA_INVALID_EVENT) ov_.hEvent = win::event_without_port(event_);
    }
    ~Sender() {
        if (event_ != WSA_INVALID_EVENT) ::WSACloseEvent(event_);
    }
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // Posts the queued output unless a send is in flight, then waits for it up to kTimeoutMs:
    // blocked while it is still in flight, drained (nothing set) once no output is left.
    WriteOutcome send_some(Connection& conn) {
        WriteOutcome out;
        if (pending_ && conn.phase() == Connection::Phase::Aborting) {
            settle(conn);  // dropping output: a peer that never reads must not hold the close
            return out;
        }
        if (!pending_) {
            const auto bytes = conn.begin_write();
            if (bytes.empty()) {
                conn.shutdown_if_drained();
                return out;
            }
            ++out.calls;
            if (event_ == WSA_INVALID_EVENT || !::WSAResetEvent(event_) ||
                !win::start_send(conn.socket(), bytes, ov_)) {
                out.failed = true;
                conn.end_write(0);
                return out;
            }
            pending_ = true;
        }
        if (::WSAWaitForMultipleEvents(1, &event_, FALSE, kTimeoutMs, FALSE) == WSA_WAIT_TIMEOUT) {
            out.blocked = true;
            return out;
        }
        return collect(conn, out);
    }

    // Before the connection is handed back or closed: a send in flight is cancelled and what
    // it sent is recorded (CancelIoEx completes it at once).
    void settle(Connection& conn) {
        if (!pending_) return;
        ::CancelIoEx(reinterpret_cast<HANDLE>(conn.socket()), &ov_);
        DWORD sent = 0, flags = 0;
        ::WSAGetOverlappedResult(conn.socket(), &ov_, &sent, TRUE, &flags);
        pending_ = false;
        conn.end_write(sent);
    }

  private:
    WriteOutcome collect(Connection& conn, WriteOutcome out) {
        pending_ = false;
        DWORD sent = 0;
        ++out.calls;
        if (!win::collect(conn.socket(), ov_, sent)) {
            out.failed = true;
            conn.end_write(0);
            return out;
        }
        out.bytes = sent;
        if (conn.end_write(sent))
            out.more = true;
        else
            conn.shutdown_if_drained();
        return out;
    }

    WSAEVENT event_;
    OVERLAPPED ov_{};
    bool pending_ = false;
};
#else
class Sender {
  public:
    WriteOutcome send_some(Connection& conn) { return flush_output(conn, kOneCall); }
    void settle(Connection&) {}
};
#endif

void shutdown_reads(socket_t s) {
#ifdef _WIN32
    ::shutdown(s, SD_RECEIVE);
#else
    ::shutdown(s, SHUT_RD);
#endif
}

class BlockingEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "blocking"; }

    std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const override {
        if (conns.size() <= kMaxConnections) return {};
        return std::string(kTooMany) + "; " + std::to_string(conns.size()) + " are open";
    }

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        stopping_ = false;
        // accept() blocks from now on, but wakes every kTimeoutMs to look at stopping_.
        // (On Windows the listener stays non-blocking: see wait_for_listener.)
#ifndef _WIN32
        for (socket_t listener : listeners_) {
            set_nonblocking(listener, false);
            set_timeouts(listener, kTimeoutMs, false);
        }
#endif
        for (auto& conn : adopted) launch(add(conn));
        try {
            // An acceptor asleep in accept() per listener, as the model goes; the first one
            // also takes adopted connections and reaps finished ones (a client's does only that).
            if (listeners_.empty()) {
                acceptors_.emplace_back([this] { accept_loop(kInvalidSocket, true); });
            }
            for (std::size_t i = 0; i < listeners_.size(); ++i)
                acceptors_.emplace_back(
                    [this, i] { accept_loop(listeners_[i], /*keeps_house=*/i == 0); });
        } catch (...) {
            // Out of threads: the connections' threads, already running, are stopped and
            // joined, and every connection detached (a joinable thread must not be destroyed
            // with its Peer, nor a connection wake this engine once it is gone).
            stop();
            throw;
        }
    }

    std::vector<ConnectionPtr> stop() override {
        stopping_ = true;
        adopt_cv_.notify_all();
        {
            // The peers wind down while the acceptor does (each within one blocking call).
            std::lock_guard lock(peers_mutex_);
            for (auto& [id, p] : peers_) request_stop(*p);
        }
        for (auto& acceptor : acceptors_)
            if (acceptor.joinable()) acceptor.join();
        acceptors_.clear();
        for (socket_t listener : listeners_) {
            set_timeouts(listener, 0, false);
            set_nonblocking(listener, true);
        }

        std::unordered_map<std::uint64_t, std::unique_ptr<Peer>> peers;
        {
            std::lock_guard lock(peers_mutex_);
            peers.swap(peers_);
        }
        for (auto& [id, p] : peers) request_stop(*p);  // again: the acceptor may have added some
        // Each writer joins its reader; both leave within a timeout of their blocking call.
        for (auto& [id, p] : peers)
            if (p->writer.joinable()) p->writer.join();

        std::vector<ConnectionPtr> out;
        for (auto& [id, p] : peers) {
            EngineSlot::detach(*p->conn);  // before the Peer goes: wake() reaches it by the slot
            if (p->conn->phase() == Connection::Phase::Closed) continue;
            set_timeouts(p->conn->socket(), 0, true);
            set_nonblocking(p->conn->socket(), true);
            out.push_back(std::move(p->conn));
        }
        {
            std::lock_guard lock(peers_mutex_);
            finished_.clear();  // writers that finalized during the stop, all joined above
        }
        // Adopted but never picked up by the acceptor: opened and handed on as they are.
        inbox_.hand_on_adopted(*host_, out);
        return out;
    }

    // The acceptor thread starts the connection's threads (it is the one that joins them).
    void adopt(ConnectionPtr conn) override {
        inbox_.post_adopt(std::move(conn));
        adopt_cv_.notify_one();
    }

    EngineStats stats() const override {
        EngineStats s =
            counters_.snapshot("blocking", live_threads_.load(std::memory_order_relaxed));
        s.details = {{"live threads", std::to_string(s.threads)},
                     {"connections", std::to_string(live_connections_.load())},
                     {"threads per connection", "2 (reader in recv, writer in send)"},
                     {"connection cap", std::to_string(kMaxConnections)},
                     {"refused (cap)", std::to_string(refused_.load())},
                     {"blocking call timeout", std::to_string(kTimeoutMs) + " ms"}};
        return s;
    }

  private:
    // Called with the connection's lock held: touches only the Peer's own wait state.
    void wake(Connection& conn) override {
        NETCORE_CHECK_WAKE(conn);
        auto* p = EngineSlot::state<Peer>(conn);
        if (!p) return;
        {
            std::lock_guard lock(p->mutex);
            p->signalled = true;
        }
        p->cv.notify_one();
    }
    // The connection's reader delivers, its writer writes and closes.
    bool owns_io(const Connection& conn) const override {
        return t_peer != nullptr && t_peer == EngineSlot::state<Peer>(conn);
    }

    struct Peer;
    static inline thread_local const Peer* t_peer = nullptr;  // the reader's or writer's Peer

    struct Peer {
        explicit Peer(ConnectionPtr c) : conn(std::move(c)) {}
        ConnectionPtr conn;
        std::thread reader, writer;
        std::mutex mutex;  // guards the flags below; never held across a socket call
        std::condition_variable cv;
        std::condition_variable drained;  // the writer made progress (for a waiting reader)
        bool signalled = false;           // output or a close requested, or the reader left
        bool read_failed = false;
        bool stop = false;            // hand the connection back
        bool writer_closing = false;  // the writer closes the socket: the reader must leave
    };

    // Makes the socket blocking and registers it; nothing reads until launch().
    Peer& add(const ConnectionPtr& conn) {
        set_nonblocking(conn->socket(), false);
        set_timeouts(conn->socket(), kTimeoutMs, true);
        auto peer = std::make_unique<Peer>(conn);
        Peer& p = *peer;
        {
            std::lock_guard lock(peers_mutex_);
            peers_.emplace(conn->id(), std::move(peer));
        }
        live_connections_.fetch_add(1, std::memory_order_relaxed);
        EngineSlot::attach(*conn, this, &p);
        return p;
    }

    // Starts the connection's threads. Peer::writer is assigned on the thread that later
    // joins it (the acceptor, or start() before the acceptor exists, then stop()).
    void launch(Peer& p) {
        try {
            p.reader = std::thread([this, &p] { read_loop(p); });
            p.writer = std::thread([this, &p] { write_loop(p); });
            return;
        } catch (const std::system_error&) {
        }
        // Out of threads: this connection cannot be served here.
        {
            std::lock_guard lock(p.mutex);
            p.stop = true;
        }
        if (p.reader.joinable()) p.reader.join();
        ConnectionPtr conn = p.conn;
        EngineSlot::detach(*conn);
        {
            std::lock_guard lock(peers_mutex_);
            peers_.erase(conn->id());  // frees p
        }
        live_connections_.fetch_sub(1, std::memory_order_relaxed);
        finalize_connection(*conn, *host_, CloseReason::Requested);
    }

    // Windows' accept() ignores SO_RCVTIMEO, so there the acceptor sleeps in a select() on the
    // listener alone, bounded by the same timeout, and accepts only once one is pending.
    bool wait_for_listener(socket_t listener) {
#ifdef _WIN32
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(listener, &readable);
        timeval t{0, kTimeoutMs * 1000};  // Winsock takes it non-const
        return ::select(0, &readable, nullptr, nullptr, &t) == 1;
#else
        (void)listener;
        return true;
#endif
    }

    // `keeps_house`: this acceptor also takes adopted connections and reaps finished ones.
    void accept_loop(socket_t listener, bool keeps_house) {
        live_threads_.fetch_add(1, std::memory_order_relaxed);
        const auto tidy = [&] {
            if (keeps_house) reap();
        };
        while (!stopping_) {
            if (keeps_house) take_adopted();
            if (listener == kInvalidSocket) {  // a client: nothing to accept, only to adopt
                std::unique_lock lock(adopt_mutex_);
                adopt_cv_.wait_for(lock, std::chrono::milliseconds(kTimeoutMs));
                tidy();
                continue;
            }
            if (!wait_for_listener(listener)) {
                tidy();
                continue;
            }
            Peer* fresh = nullptr;
            auto why_not = [this](socket_t) {
                if (live_connections_.load(std::memory_order_relaxed) < kMaxConnections)
                    return std::string_view{};
                refused_.fetch_add(1, std::memory_order_relaxed);
                return kTooMany;
            };
            // One at a time: the new connection's threads start before the next accept().
            const auto a =
                accept_pending(listener, *host_, 1, why_not,
                               [this, &fresh](const ConnectionPtr& c) { fresh = &add(c); });
            const int err = last_socket_error();
            counters_.wakeup();
            counters_.syscalls(a.calls);
            counters_.events(a.accepted);
            if (fresh) launch(*fresh);
            tidy();
            // A failing accept() that is not the timeout (no descriptors left) must not spin.
            // A connection reset before we accepted it is no such failure: the next one may be
            // waiting right behind it (a burst of them cost 100 ms each here).
            if (a.accepted == 0 && !is_would_block(err) && !is_transient_accept_error(err))
                std::this_thread::sleep_for(std::chrono::milliseconds(kTimeoutMs));
        }
        tidy();
        live_threads_.fetch_sub(1, std::memory_order_relaxed);
    }

    void read_loop(Peer& p) {
        t_peer = &p;
        live_threads_.fetch_add(1, std::memory_order_relaxed);
        Connection& conn = *p.conn;
        bool failed = false;
        for (;;) {
            {
                std::lock_guard lock(p.mutex);
                if (p.stop || p.writer_closing) break;
            }
            const auto phase = conn.phase();
            if (conn.peer_has_finished() || phase == Connection::Phase::Aborting ||
                phase == Connection::Phase::Closed)
                break;
            if (conn.output_backlogged()) {
                // Backpressure: the writer is behind on this peer's own answers; read no more
                // requests until it catches up (or the connection is handed back or closes:
                // a writer that gave up on a dead peer drains nothing, and waits to join us).
                std::unique_lock lock(p.mutex);
                if (p.stop || p.writer_closing) break;
                p.drained.wait_for(lock, std::chrono::milliseconds(kTimeoutMs));
                continue;
            }
            // One recv(): data, the peer's FIN, an error or the SO_RCVTIMEO timeout.
            const auto r = read_available(conn, host_->handler(), read_scratch(), kOneCall);
            counters_.wakeup();
            counters_.syscalls(r.calls);
            if (r.bytes > 0) counters_.events(1);
            if (r.failed && !timed_out(r.error)) {
                failed = true;
                break;
            }
        }
        {
            std::lock_guard lock(p.mutex);
            p.read_failed = failed;
            p.signalled = true;
        }
        p.cv.notify_one();
        live_threads_.fetch_sub(1, std::memory_order_relaxed);
    }

    void write_loop(Peer& p) {
        t_peer = &p;
        live_threads_.fetch_add(1, std::memory_order_relaxed);
        Connection& conn = *p.conn;
        CloseReason observed = CloseReason::PeerClosed;
        bool finalize = false;
        Sender sender;
        for (;;) {
            bool read_failed;
            {
                std::unique_lock lock(p.mutex);
                p.cv.wait(lock, [&p] { return p.signalled || p.stop; });
                if (p.stop) break;
                p.signalled = false;
                read_failed = p.read_failed;
            }
            counters_.wakeup();
            if (read_failed) {
                observed = CloseReason::Reset;
                finalize = true;
                break;
            }
            for (;;) {
                // One send per call: a peer that reads slowly but steadily would otherwise
                // keep one flush going (one partial send per timeout) past a stop request.
                const auto w = sender.send_some(conn);
                if (w.bytes > 0) p.drained.notify_one();
                counters_.syscalls(w.calls);
                if (w.bytes > 0) counters_.events(1);
                if (w.failed) {  // (a timeout is blocked, not failed)
                    observed = CloseReason::Reset;
                    finalize = true;
                    break;
                }
                // blocked: the timeout ran out with output left. Keep at it unless handing over.
                if ((!w.blocked && !w.failed && !w.more) || stopping_requested(p)) break;
            }
            if (finalize || conn.must_finalize()) {
                finalize = true;
                break;
            }
        }
        sender.settle(conn);
        if (finalize) {
            // The reader may sit in recv(), or wait for output that will never drain now: get
            // it out before the socket is closed under it.
            {
                std::lock_guard lock(p.mutex);
                p.writer_closing = true;
            }
            p.drained.notify_one();
            shutdown_reads(conn.socket());
            counters_.syscalls(2);
        }
        if (p.reader.joinable()) p.reader.join();
        if (finalize) {
            live_connections_.fetch_sub(1, std::memory_order_relaxed);
            finalize_connection(conn, *host_, observed);
            std::lock_guard lock(peers_mutex_);
            finished_.push_back(conn.id());
        }
        live_threads_.fetch_sub(1, std::memory_order_relaxed);
    }

    static void request_stop(Peer& p) {
        {
            std::lock_guard lock(p.mutex);
            p.stop = true;
        }
        p.cv.notify_one();
    }

    static bool stopping_requested(Peer& p) {
        std::lock_guard lock(p.mutex);
        return p.stop;
    }

    void take_adopted() {
        for (auto& conn : inbox_.take_adopted()) {
            Peer& p = add(conn);
            host_->connection_opened(conn);
            launch(p);
        }
    }

    // Joins the threads of connections that closed and frees their state.
    void reap() {
        std::vector<std::unique_ptr<Peer>> done;
        {
            std::lock_guard lock(peers_mutex_);
            for (auto id : finished_) {
                if (auto it = peers_.find(id); it != peers_.end()) {
                    done.push_back(std::move(it->second));
                    peers_.erase(it);
                }
            }
            finished_.clear();
        }
        for (auto& p : done) {
            if (p->writer.joinable()) p->writer.join();
            EngineSlot::detach(*p->conn);
        }
    }

    EngineHost* host_ = nullptr;
    Listeners listeners_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> acceptors_;  // one per listener (one for a client)
    WakeInbox inbox_;  // connections adopted from other threads, started by the acceptor
    std::mutex adopt_mutex_;
    std::condition_variable adopt_cv_;

    std::mutex peers_mutex_;  // guards peers_ and finished_
    std::unordered_map<std::uint64_t, std::unique_ptr<Peer>> peers_;
    std::vector<std::uint64_t> finished_;  // writer finalized: threads to join

    EngineCounters counters_;
    std::atomic<std::uint64_t> refused_{0};
    std::atomic<std::uint64_t> live_threads_{0}, live_connections_{0};
};

}  // namespace

std::unique_ptr<Engine> make_blocking_engine() {
    return std::make_unique<BlockingEngine>();
}

}  // namespace netcore
