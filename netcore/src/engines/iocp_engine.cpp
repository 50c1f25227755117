// iocp: I/O completion port. Every socket is bound to one port; WSARecv, WSASend and AcceptEx
// are posted on buffers, and a pool of workers pops finished operations with
// GetQueuedCompletionStatusEx (many per call). The model the proactor interface was made for.
// The port and its worker pool belong to the process: every iocp engine running (a server's,
// a client's) shares them, and each packet names its engine through its OVERLAPPED.
//
// - One port per process: a socket stays bound to the first port it was associated with, so
//   a switch iocp -> X -> iocp must find the same port. Completion keys are constants (a key
//   is fixed at association); the OVERLAPPED says which operation finished.
// - Several AcceptEx posted at once, each with a ready socket; SO_UPDATE_ACCEPT_CONTEXT after.
// - One recv outstanding per connection: its handler calls never overlap even with a pool.
//   Sends come from Connection::begin_write(), whose span stays put until end_write().
// - A zero-byte recv completion is the peer's FIN.
// - Backpressure: while a connection's own output is past half of max_send_queue, its next
//   WSARecv is held; the send completion that brings the output under the mark posts it.
//   The two may run on different workers at once: see post_recv for how neither misses it.
// - An OVERLAPPED is never freed before its completion was dequeued: each connection counts
//   its operations in flight and is finalized (and its state freed) when the count is zero.
//   Closing cancels with CancelIoEx and waits for those completions like any other.
// - stop(): receives are cancelled at once, sends get a moment to finish, then are cancelled;
//   the workers keep serving completions until none is in flight, then exit.
// - stop() unbinds every socket from the port where the system can
//   (FileReplaceCompletionInformation, Windows 8.1+; Wine 8 cannot). A socket left bound keeps
//   working with every other engine: readiness calls never touch the port, overlapped_event
//   sets the low bit of hEvent so its completions skip the port, and overlapped_callback
//   (Windows refuses completion routines on a bound socket: WSAEINVAL) falls back to a shared
//   event for those sockets. Whatever still sits in the port when iocp starts again is drained
//   and counted as stray.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "win_overlapped.hpp"

namespace netcore {
namespace {

constexpr ULONG_PTR kIoKey = 1;     // socket I/O (the key every socket is associated with)
constexpr ULONG_PTR kWakeKey = 2;   // wake(): lpOverlapped is the connection's state
constexpr ULONG_PTR kQuitKey = 3;   // a worker exits
constexpr ULONG_PTR kAdoptKey = 4;  // adopt(): lpOverlapped is a new ConnectionPtr
constexpr int kAcceptsPosted = 16;

HANDLE process_port() {
    static const HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 0);
    return port;
}

// Fails harmlessly when the socket is already bound to the port (an earlier iocp engine).
void associate(SOCKET s) {
    ::CreateIoCompletionPort(reinterpret_cast<HANDLE>(s), process_port(), kIoKey, 0);
}

// Undoes the association (FileReplaceCompletionInformation with no port, Windows 8.1 and
// later), so the engines after this one get sockets no port knows about. False when the
// system cannot: completions then keep going to the port (see the file comment).
bool dissociate(SOCKET s) {
    struct IoStatus {
        union {
            LONG status;
            void* pointer;
        };
        ULONG_PTR information;
    };
    struct CompletionInfo {
        HANDLE port;
        void* key;
    };
    using SetInformationFile = LONG(WINAPI*)(HANDLE, IoStatus*, void*, ULONG, int);
    static const auto set_info = reinterpret_cast<SetInformationFile>(reinterpret_cast<void*>(
        ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtSetInformationFile")));
    constexpr int kFileReplaceCompletionInformation = 61;
    if (!set_info) return false;
    IoStatus io{};
    CompletionInfo none{nullptr, nullptr};
    return set_info(reinterpret_cast<HANDLE>(s), &io, &none, sizeof none,
                    kFileReplaceCompletionInformation) >= 0;
}

enum class OpKind : std::uint8_t { Recv, Send, Accept };

class IocpEngine;

struct IoOp {
    OVERLAPPED ov{};  // first member: the OVERLAPPED* from the port is the IoOp*
    OpKind kind;
    void* owner;
    IocpEngine* engine;  // the port and its workers serve every iocp engine of the process
};

struct ConnState {
    ConnState(IocpEngine* e, ConnectionPtr c)
        : engine(e), conn(std::move(c)), recv_buf(new char[win::kRecvSize]) {}
    IocpEngine* engine;
    ConnectionPtr conn;
    IoOp recv_op{{}, OpKind::Recv, this, engine};
    IoOp send_op{{}, OpKind::Send, this, engine};
    std::unique_ptr<char[]> recv_buf;
    std::mutex m;  // guards the fields below; a leaf lock (never held across other calls)
    int ops = 0;   // operations and wake packets in flight, plus holds while being served
    bool receiving = false, sending = false, closing = false;
    bool paused = false;  // backpressure: the next receive waits for the output to drain
    CloseReason observed = CloseReason::PeerClosed;
};

struct AcceptState {
    explicit AcceptState(IocpEngine* e) : op{{}, OpKind::Accept, this, e} {}
    IoOp op;
    win::AcceptSlot slot;
};

struct AdoptPacket {
    IocpEngine* engine;
    ConnectionPtr conn;
};

void dispatch(const OVERLAPPED_ENTRY& e);

thread_local bool t_worker = false;                  // a thread of the pool below
thread_local const IocpEngine* t_control = nullptr;  // in this engine's start() or stop()

// Marks the thread running an engine's start() or stop() for owns_io().
class ControlScope {
  public:
    explicit ControlScope(const IocpEngine* e) { t_control = e; }
    ~ControlScope() { t_control = nullptr; }
    ControlScope(const ControlScope&) = delete;
    ControlScope& operator=(const ControlScope&) = delete;
};

// The workers of the process's port, shared by every iocp engine running (a server and a
// client may both use one): started with the first engine, stopped with the last.
class WorkerPool {
  public:
    void acquire() {
        std::lock_guard lock(m_);
        if (users_++ > 0) return;
        // Completions another engine left in the port while no iocp engine ran.
        OVERLAPPED_ENTRY entries[64];
        ULONG n = 0;
        while (::GetQueuedCompletionStatusEx(process_port(), entries, 64, &n, 0, FALSE) && n > 0)
            strays += n;
        const unsigned count = std::max(2u, std::thread::hardware_concurrency());
        for (unsigned i = 0; i < count; ++i) threads_.emplace_back([this] { work(); });
    }
    void release() {
        std::lock_guard lock(m_);
        if (--users_ > 0) return;
        for (std::size_t i = 0; i < threads_.size(); ++i)
            ::PostQueuedCompletionStatus(process_port(), 0, kQuitKey, nullptr);
        for (auto& t : threads_) t.join();
        threads_.clear();
    }
    std::size_t size() {
        std::lock_guard lock(m_);
        return threads_.size();
    }

    std::atomic<std::uint64_t> wakeups{0}, completions{0}, strays{0};

  private:
    void work() {
        t_worker = true;
        OVERLAPPED_ENTRY entries[64];
        for (;;) {
            ULONG n = 0;
            const BOOL ok =
                ::GetQueuedCompletionStatusEx(process_port(), entries, 64, &n, INFINITE, FALSE);
            wakeups.fetch_add(1, std::memory_order_relaxed);
            if (!ok) {
                ::Sleep(1);
                continue;
            }
            completions.fetch_add(n, std::memory_order_relaxed);
            int quits = 0;
            for (ULONG i = 0; i < n; ++i) {
                if (entries[i].lpCompletionKey == kQuitKey)
                    ++quits;
                else
                    dispatch(entries[i]);
            }
            if (quits > 0) {
                // One quit per worker: pass on any extra this batch took from the others.
                for (int i = 1; i < quits; ++i)
                    ::PostQueuedCompletionStatus(process_port(), 0, kQuitKey, nullptr);
                return;
            }
        }
    }

    std::mutex m_;
    int users_ = 0;
    std::vector<std::thread> threads_;
};

WorkerPool& pool() {
    static WorkerPool p;
    return p;
}

class IocpEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "iocp"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        ControlScope control(this);
        host_ = &host;
        listener_ = listener;
        stopping_ = false;
        if (!process_port()) throw std::runtime_error("iocp: CreateIoCompletionPort failed");
        pool().acquire();
        if (listener_ != kInvalidSocket) {
            family_ = win::socket_family(listener);
            associate(listener_);
        }
        for (auto& conn : adopted) {
            ConnState* c = adopt_here(conn);
            post_recv(*c);
            release(*c);
        }
        for (int i = 0; listener_ != kInvalidSocket && i < kAcceptsPosted; ++i) {
            accepts_.push_back(std::make_unique<AcceptState>(this));
            post_accept(*accepts_.back());
        }
    }

    std::vector<ConnectionPtr> stop() override {
        ControlScope control(this);
        stopping_ = true;
        if (listener_ != kInvalidSocket) ::CancelIoEx(reinterpret_cast<HANDLE>(listener_), nullptr);
        // Receives go now; sends in flight get a moment to finish, then are cancelled too.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
        bool all = false;
        for (;;) {
            // Again each round: a worker may have re-posted an AcceptEx or a recv just before
            // it saw stopping_.
            if (listener_ != kInvalidSocket)
                ::CancelIoEx(reinterpret_cast<HANDLE>(listener_), nullptr);
            cancel_ops(all);
            std::unique_lock lock(drain_mutex_);
            if (drain_cv_.wait_for(lock, std::chrono::milliseconds(20),
                                   [this] { return inflight_.load() == 0; }))
                break;
            all = std::chrono::steady_clock::now() > deadline;
        }
        pool().release();
        accepts_.clear();
        std::vector<ConnectionPtr> out;
        std::lock_guard lock(mutex_);
        if (listener_ != kInvalidSocket) dissociate(listener_);
        for (auto& [id, c] : conns_) {
            if (!dissociate(c->conn->socket())) ++left_bound_;
            EngineSlot::detach(*c->conn);
            out.push_back(std::move(c->conn));
        }
        conns_.clear();
        return out;
    }

    // A worker opens it (on_open before its first recv is even posted).
    void adopt(ConnectionPtr conn) override {
        ++inflight_;
        ::PostQueuedCompletionStatus(
            process_port(), 0, kAdoptKey,
            reinterpret_cast<OVERLAPPED*>(new AdoptPacket{this, std::move(conn)}));
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "iocp";
        const std::size_t workers = pool().size();
        s.threads = workers;
        // The pool's wake-ups and completions (shared by every iocp engine in the process).
        s.wakeups = pool().wakeups.load(std::memory_order_relaxed);
        s.events = pool().completions.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed) + s.wakeups;  // + each GQCSEx
        const double per = s.wakeups ? static_cast<double>(s.events) / s.wakeups : 0.0;
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", per);
        std::size_t conns;
        {
            std::lock_guard lock(mutex_);
            conns = conns_.size();
        }
        s.details = {{"worker threads (shared pool)", std::to_string(workers)},
                     {"connections", std::to_string(conns)},
                     {"pending overlapped ops", std::to_string(inflight_.load())},
                     {"accepts posted", std::to_string(kAcceptsPosted)},
                     {"completions per wakeup", ratio},
                     {"stray completions drained", std::to_string(pool().strays.load())},
                     {"sockets left bound at stop", std::to_string(left_bound_.load())}};
        return s;
    }

  private:
    void wake(Connection& conn) override {
        NETCORE_CHECK_WAKE(conn);
        auto* c = EngineSlot::state<ConnState>(conn);
        if (!c || stopping_ || !EngineSlot::schedule_flush(conn)) return;
        {
            std::lock_guard lock(c->m);
            if (c->closing) return;
            ++c->ops;
        }
        ++inflight_;
        ::PostQueuedCompletionStatus(process_port(), 0, kWakeKey, reinterpret_cast<OVERLAPPED*>(c));
    }

    // A worker of the pool, or the thread in start() or stop() (no worker runs this
    // engine's packets before start() returns or after stop() drained them).
    bool owns_io(const Connection&) const override { return t_worker || t_control == this; }

    ConnState* adopt_here(const ConnectionPtr& conn) {
        auto owned = std::make_unique<ConnState>(this, conn);
        ConnState* c = owned.get();
        c->ops = 1;  // held until the caller has opened it and posted the first recv
        ++inflight_;
        associate(conn->socket());
        {
            std::lock_guard lock(mutex_);
            conns_.emplace(conn->id(), std::move(owned));
        }
        EngineSlot::attach(*conn, this, c);
        return c;
    }

  public:
    // A packet of this engine's, from a pool worker.
    void on_packet(const OVERLAPPED_ENTRY& e) {
        if (e.lpCompletionKey == kAdoptKey) {
            std::unique_ptr<AdoptPacket> p(reinterpret_cast<AdoptPacket*>(e.lpOverlapped));
            ConnState* c = adopt_here(p->conn);
            host_->connection_opened(p->conn);
            post_recv(*c);
            release(*c);
            finish_op();
        } else if (e.lpCompletionKey == kWakeKey) {
            on_wake(*reinterpret_cast<ConnState*>(e.lpOverlapped));
        } else {
            auto* op = CONTAINING_RECORD(e.lpOverlapped, IoOp, ov);
            const bool done = win::succeeded(op->ov);
            const DWORD bytes = e.dwNumberOfBytesTransferred;
            switch (op->kind) {
                case OpKind::Recv:
                    on_recv(*static_cast<ConnState*>(op->owner), done, bytes);
                    break;
                case OpKind::Send:
                    on_send(*static_cast<ConnState*>(op->owner), done, bytes);
                    break;
                case OpKind::Accept:
                    on_accept(*static_cast<AcceptState*>(op->owner), done);
                    break;
            }
        }
    }

  private:
    void post_accept(AcceptState& a) {
        if (stopping_) return;
        ++inflight_;
        int error = 0;
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (!win::post_accept(listener_, family_, a.slot, a.op.ov, error)) {
            --inflight_;
            accept_failures_.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void on_accept(AcceptState& a, bool ok) {
        if (ok) {  // even while stopping: the connection is handed back with the others
            std::string peer;
            const SOCKET s = win::finish_accept(listener_, a.slot, peer);
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer))) {
                ConnState* c = adopt_here(conn);
                host_->connection_opened(conn);
                post_recv(*c);
                release(*c);
            }
        } else if (a.slot.s != INVALID_SOCKET) {
            ::closesocket(a.slot.s);
            a.slot.s = INVALID_SOCKET;
        }
        post_accept(a);
        finish_op();
    }

    // Posts the next receive, unless one is in flight or the connection's own output is past
    // half of max_send_queue (backpressure, as read_available() does for the readiness
    // engines): then `paused` is set and on_send posts it once the output has drained.
    // `resume`: only a receive still held (on_recv may be delivering: receiving is false).
    void post_recv(ConnState& c, bool resume = false) {
        for (;;) {
            // Not under c.m: it takes the connection's lock, which wake() holds while taking c.m.
            const bool backlogged = c.conn->output_backlogged();
            {
                std::lock_guard lock(c.m);
                if (c.closing || c.receiving || stopping_) return;
                if (resume && !c.paused) return;
                c.paused = backlogged;
                if (!backlogged) {
                    c.receiving = true;
                    ++c.ops;
                    break;
                }
            }
            // A send that drained the output before `paused` was set has not seen it.
            if (c.conn->output_backlogged()) return;
        }
        ++inflight_;
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (win::start_recv(c.conn->socket(), c.recv_buf.get(), c.recv_op.ov))
            return;  // the completion comes through the port either way
        {
            std::lock_guard lock(c.m);
            c.receiving = false;
        }
        begin_close(c, CloseReason::Reset);
        release(c);
    }

    void on_recv(ConnState& c, bool ok, DWORD bytes) {
        {
            std::lock_guard lock(c.m);
            c.receiving = false;
        }
        Connection& conn = *c.conn;
        if (!ok) {
            if (!stopping_) begin_close(c, CloseReason::Reset);
        } else if (bytes == 0) {
            conn.peer_finished();
            post_send(c);  // a half-close: answer what was asked, then our FIN
        } else {
            conn.deliver(std::span(reinterpret_cast<const std::byte*>(c.recv_buf.get()), bytes),
                         host_->handler());
            if (!conn.peer_has_finished()) post_recv(c);
        }
        if (conn.must_finalize()) begin_close(c, CloseReason::PeerClosed);
        release(c);
    }

    // Posts the next send if none is in flight; with nothing left, completes a graceful close.
    void post_send(ConnState& c) {
        {
            std::lock_guard lock(c.m);
            if (c.closing || c.sending || stopping_) return;
            c.sending = true;
            ++c.ops;
        }
        ++inflight_;
        Connection& conn = *c.conn;
        const auto bytes = conn.begin_write();
        if (bytes.empty()) {
            conn.shutdown_if_drained();
            {
                std::lock_guard lock(c.m);
                c.sending = false;
            }
            if (conn.must_finalize()) begin_close(c, CloseReason::PeerClosed);
            release(c);
            return;
        }
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (win::start_send(conn.socket(), bytes, c.send_op.ov)) return;
        conn.end_write(0);
        {
            std::lock_guard lock(c.m);
            c.sending = false;
        }
        begin_close(c, CloseReason::Reset);
        release(c);
    }

    void on_send(ConnState& c, bool ok, DWORD bytes) {
        c.conn->end_write(ok ? bytes : 0);
        bool held;
        {
            std::lock_guard lock(c.m);
            c.sending = false;
            held = c.paused;
        }
        if (!ok) {
            if (!stopping_) begin_close(c, CloseReason::Reset);
        } else {
            post_send(c);
            if (held) post_recv(c, true);  // held for backpressure: try again
        }
        release(c);
    }

    void on_wake(ConnState& c) {
        EngineSlot::take_flush(*c.conn);
        post_send(c);
        if (c.conn->must_finalize()) begin_close(c, CloseReason::PeerClosed);
        release(c);
    }

    // Called while holding one of the connection's ops: the last release finalizes it.
    void begin_close(ConnState& c, CloseReason reason) {
        {
            std::lock_guard lock(c.m);
            if (c.closing) return;
            c.closing = true;
            c.observed = reason;
        }
        ::CancelIoEx(reinterpret_cast<HANDLE>(c.conn->socket()), nullptr);
    }

    void release(ConnState& c) {
        bool retire;
        {
            std::lock_guard lock(c.m);
            retire = --c.ops == 0 && c.closing;
        }
        if (retire) this->retire(c);
        finish_op();
    }

    // No operation is in flight any more: the OVERLAPPEDs and buffers can go.
    void retire(ConnState& c) {
        ConnectionPtr conn = c.conn;
        std::unique_ptr<ConnState> dead;
        {
            std::lock_guard lock(mutex_);
            auto it = conns_.find(conn->id());
            if (it != conns_.end()) {
                dead = std::move(it->second);
                conns_.erase(it);
            }
        }
        finalize_connection(*conn, *host_, c.observed);  // after it, wake() is never called
    }

    void finish_op() {
        if (--inflight_ == 0 && stopping_) {
            std::lock_guard lock(drain_mutex_);
            drain_cv_.notify_all();
        }
    }

    void cancel_ops(bool sends_too) {
        std::lock_guard lock(mutex_);
        for (auto& [id, c] : conns_) {
            const auto h = reinterpret_cast<HANDLE>(c->conn->socket());
            if (sends_too)
                ::CancelIoEx(h, nullptr);
            else
                ::CancelIoEx(h, &c->recv_op.ov);
        }
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    int family_ = AF_INET;
    std::atomic<bool> stopping_{false};
    std::vector<std::unique_ptr<AcceptState>> accepts_;

    mutable std::mutex mutex_;  // guards conns_ (never held while calling the host)
    std::unordered_map<std::uint64_t, std::unique_ptr<ConnState>> conns_;

    std::atomic<long> inflight_{0};  // operations and packets not yet fully handled
    std::mutex drain_mutex_;
    std::condition_variable drain_cv_;

    std::atomic<std::uint64_t> syscalls_{0}, accept_failures_{0}, left_bound_{0};
};

// Routes a packet to its engine: through the operation, the connection, or the adopt packet.
void dispatch(const OVERLAPPED_ENTRY& e) {
    IocpEngine* engine = nullptr;
    if (e.lpCompletionKey == kAdoptKey)
        engine = reinterpret_cast<AdoptPacket*>(e.lpOverlapped)->engine;
    else if (e.lpCompletionKey == kWakeKey)
        engine = reinterpret_cast<ConnState*>(e.lpOverlapped)->engine;
    else
        engine = CONTAINING_RECORD(e.lpOverlapped, IoOp, ov)->engine;
    engine->on_packet(e);
}

}  // namespace

std::unique_ptr<Engine> make_iocp_engine() {
    return std::make_unique<IocpEngine>();
}

}  // namespace netcore
