// iocp: I/O completion port. Every socket is bound to one port; WSARecv, WSASend and AcceptEx
// are posted, and a pool of workers pops finished operations with GetQueuedCompletionStatusEx
// (many per call). The model the proactor interface was made for. What a completion means for
// its connection is the completion family's (completion_engine.hpp); this file is the port.
//
// - One port per process: a socket stays bound to the first port it was associated with, so
//   a switch iocp -> X -> iocp must find the same port. The port and its worker pool belong to
//   the process, shared by every iocp engine running (a server's, a client's); each packet
//   names its engine through its OVERLAPPED. Completion keys are constants (a key is fixed at
//   association); the OVERLAPPED says which operation finished.
// - Receives are zero-byte WSARecvs: an idle connection pins no buffer; when one finishes,
//   the worker reads what is there into its own scratch buffer.
// - Several AcceptEx posted at once, each with a ready socket; SO_UPDATE_ACCEPT_CONTEXT after.
// - Any worker may dequeue a connection's completion: its state's lock lets one at a time
//   serve it, so its handler calls never overlap. wake() takes no lock but the connection's: it
//   posts a packet that holds a reference to the state, or, when the worker serving the
//   connection is the caller (the handler answering), leaves the flush to that worker.
// - An OVERLAPPED is never freed before its completion was dequeued: the state counts the
//   operations and packets that name it, and goes with the last of them.
// - stop(): receives are cancelled at once, sends get a moment to finish, then are cancelled;
//   the workers keep serving completions until none is in flight (bounded: StopClock).
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

#include <spdlog/spdlog.h>

#include "completion_engine.hpp"
#include "netcore/socket_ops.hpp"
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
    // The port and its workers serve every iocp engine of the process. Null once a stop gave
    // up on the operation: its late packet, if any, is dropped.
    std::atomic<IocpEngine*> engine;
};

struct ConnState : CompletionConn {
    ConnState(IocpEngine* e, ConnectionPtr c) : engine(e) { conn = std::move(c); }
    IocpEngine* engine;
    IoOp recv_op{{}, OpKind::Recv, this, engine};
    IoOp send_op{{}, OpKind::Send, this, engine};
    std::mutex m;  // held by the worker serving the connection
    // The engine's table, each operation and wake packet in flight, each worker about to
    // serve it: the last one to let go frees it.
    std::atomic<int> refs{1};
};

struct AcceptState {
    AcceptState(IocpEngine* e, SOCKET listener)
        : op{{}, OpKind::Accept, this, e},
          listener(listener),
          family(win::socket_family(listener)) {}
    IoOp op;
    SOCKET listener;  // the one this AcceptEx is posted on
    int family;
    win::AcceptSlot slot;
};

struct AdoptPacket {
    IocpEngine* engine;
    ConnectionPtr conn;
};

void dispatch(const OVERLAPPED_ENTRY& e);

thread_local const ConnState* t_serving = nullptr;  // the connection this thread serves now

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

class IocpEngine final : public CompletionEngine {
  public:
    IocpEngine() : CompletionEngine("iocp") {}

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        start_posting();
        if (!process_port()) throw std::runtime_error("iocp: CreateIoCompletionPort failed");
        pool().acquire();
        for (socket_t listener : listeners_) associate(listener);
        for (auto& conn : adopted) take(conn, false);
        accepts_wanted_ = kAcceptsPosted * static_cast<int>(listeners_.size());
        for (socket_t listener : listeners_)  // kAcceptsPosted on each
            for (int i = 0; i < kAcceptsPosted; ++i) {
                accepts_.push_back(std::make_unique<AcceptState>(this, listener));
                post_accept(*accepts_.back());
            }
    }

    std::vector<ConnectionPtr> stop() override {
        stop_posting();
        StopClock clock;
        for (;;) {
            // Again each round: a worker may have posted an AcceptEx just before it saw the stop.
            for (socket_t listener : listeners_)
                ::CancelIoEx(reinterpret_cast<HANDLE>(listener), nullptr);
            drain_all(clock.sends_due());
            if (wait_idle()) break;
            if (clock.given_up()) {
                give_up();
                break;
            }
        }
        std::vector<ConnectionPtr> out;
        {
            std::lock_guard lock(mutex_);
            for (socket_t listener : listeners_) dissociate(listener);
            for (auto& [id, c] : conns_) {
                if (!dissociate(c->conn->socket())) ++left_bound_;
                EngineSlot::detach(*c->conn);  // waits out a wake() running now: the last one
                out.push_back(c->conn);
                unref(*c);  // the table's; a wake packet posted meanwhile holds its own
            }
            conns_.clear();
        }
        while (!wait_idle()) {
        }  // such a packet: dropped by a worker (stopping), bounded by the port
        pool().release();
        accepts_.clear();
        return out;
    }

    // A worker opens it (on_open before its first receive is even posted).
    void adopt(ConnectionPtr conn) override {
        op_posted();
        ::PostQueuedCompletionStatus(
            process_port(), 0, kAdoptKey,
            reinterpret_cast<OVERLAPPED*>(new AdoptPacket{this, std::move(conn)}));
    }

    EngineStats stats() const override {
        const std::size_t workers = pool().size();
        EngineStats s = base_stats(workers);
        // The pool's wake-ups and completions (shared by every iocp engine in the process).
        s.wakeups = pool().wakeups.load(std::memory_order_relaxed);
        s.events = pool().completions.load(std::memory_order_relaxed);
        s.syscalls += s.wakeups;  // + each GetQueuedCompletionStatusEx
        const double per = s.wakeups ? static_cast<double>(s.events) / s.wakeups : 0.0;
        char ratio[32];
        std::snprintf(ratio, sizeof ratio, "%.2f", per);
        std::size_t conns;
        {
            std::lock_guard lock(mutex_);
            conns = conns_.size();
        }
        s.details.insert(s.details.end(),
                         {{"worker threads (shared pool)", std::to_string(workers)},
                          {"connections", std::to_string(conns)},
                          {"accepts posted", std::to_string(kAcceptsPosted) + " per listener"},
                          {"receives", "zero-byte (no buffer until data is there)"},
                          {"completions per wakeup", ratio},
                          {"stray completions drained", std::to_string(pool().strays.load())},
                          {"sockets left bound at stop", std::to_string(left_bound_.load())}});
        return s;
    }

    // A packet of this engine's, from a pool worker.
    void on_packet(const OVERLAPPED_ENTRY& e) {
        ++active_;
        if (e.lpCompletionKey == kAdoptKey) {
            std::unique_ptr<AdoptPacket> p(reinterpret_cast<AdoptPacket*>(e.lpOverlapped));
            take(p->conn, true);
            op_done();
        } else if (e.lpCompletionKey == kWakeKey) {
            auto& c = *reinterpret_cast<ConnState*>(e.lpOverlapped);
            if (stopping())
                unref(c);  // its output waits for the next engine (attach wakes it again)
            else
                serve(c, [&] { woken(c); });
            op_done();
        } else {
            auto* op = CONTAINING_RECORD(e.lpOverlapped, IoOp, ov);
            const bool ok = win::succeeded(op->ov);
            if (op->kind == OpKind::Accept) {
                on_accept(*static_cast<AcceptState*>(op->owner), ok);
            } else {
                auto& c = *static_cast<ConnState*>(op->owner);
                const DWORD bytes = e.dwNumberOfBytesTransferred;
                if (op->kind == OpKind::Recv)
                    serve(c, [&] { receive_ready(c, ok); });
                else  // a cancelled send reports what it sent before (the packet's count)
                    serve(c, [&] { sent(c, bytes, !ok); });
            }
        }
        if (--active_ == 0 && stopping()) {
            std::lock_guard lock(idle_mutex_);
            idle_cv_.notify_all();
        }
    }

  private:
    // The connection's lock is held: no other lock is taken here.
    void wake(Connection& conn) override {
        NETCORE_CHECK_WAKE(conn);
        auto* c = EngineSlot::state<ConnState>(conn);
        if (!c || stopping() || !EngineSlot::schedule_flush(conn)) return;
        if (t_serving == c) return;  // this thread serves it: flushed when its turn ends
        c->refs.fetch_add(1, std::memory_order_relaxed);
        op_posted();
        ::PostQueuedCompletionStatus(process_port(), 0, kWakeKey, reinterpret_cast<OVERLAPPED*>(c));
    }

    // The worker serving the connection (or the thread in start()/stop() serving it).
    bool owns_io(const Connection& conn) const override {
        return t_serving != nullptr && t_serving == EngineSlot::state<ConnState>(conn);
    }

    // ---- the model's half of the completion flow (under the connection's lock) ----

    // The operation's reference is taken before the call: another worker may dequeue its
    // completion at once.
    int submit_receive(CompletionConn& base) override {
        auto& c = static_cast<ConnState&>(base);
        c.refs.fetch_add(1, std::memory_order_relaxed);
        return issued(c, win::start_zero_byte_recv(c.conn->socket(), c.recv_op.ov));
    }

    int submit_send(CompletionConn& base, std::span<const std::byte> bytes) override {
        auto& c = static_cast<ConnState&>(base);
        c.refs.fetch_add(1, std::memory_order_relaxed);
        return issued(c, win::start_send(c.conn->socket(), bytes, c.send_op.ov));
    }

    int issued(ConnState& c, bool started) {
        count_syscalls(1);
        if (started) return 0;  // the completion comes through the port either way
        const int error = ::WSAGetLastError();
        c.refs.fetch_sub(1, std::memory_order_relaxed);  // never the last: serve() holds one
        return error;
    }

    void cancel(CompletionConn& base, Cancel which) override {
        auto& c = static_cast<ConnState&>(base);
        win::cancel(c.conn->socket(), which == Cancel::Both ? nullptr : &c.recv_op.ov);
    }

    void forget(CompletionConn& base) override {
        std::lock_guard lock(mutex_);
        conns_.erase(base.conn->id());  // its reference goes once its lock is let go
    }

    // ---- serving a connection ----

    // Registers the connection and opens it on this thread (a worker, or start()).
    void take(const ConnectionPtr& conn, bool needs_open) {
        auto* c = new ConnState(this, conn);
        associate(conn->socket());
        {
            std::lock_guard lock(mutex_);
            conns_.emplace(conn->id(), c);
        }
        c->refs.fetch_add(1, std::memory_order_relaxed);  // serve()'s
        serve(*c, [&] { open(*c, needs_open); });
    }

    // Runs `step` with the connection's lock held, then lets go of one reference (the
    // completion's or packet's being served, taken when it was posted).
    template <class Step>
    void serve(ConnState& c, Step&& step) {
        bool forgotten = false;
        {
            std::lock_guard lock(c.m);
            const ConnState* outer = std::exchange(t_serving, &c);
            if (!c.finished) {
                step();
                // Output its own handler queued meanwhile (wake() left that to this thread).
                if (!c.finished && EngineSlot::flush_scheduled(*c.conn)) woken(c);
                forgotten = c.finished;
            }
            t_serving = outer;
        }
        if (forgotten) unref(c);  // the table's
        unref(c);
    }

    static void unref(ConnState& c) {
        if (c.refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete &c;
    }

    // ---- accepting ----

    void post_accept(AcceptState& a) {
        if (stopping()) return;
        op_posted();
        int error = 0;
        count_syscalls(1);
        if (!win::post_accept(a.listener, a.family, a.slot, a.op.ov, error)) {
            op_done();
            const auto posted = accepts_wanted_ - ++accept_failures_;
            spdlog::error("iocp: cannot post AcceptEx: {}; {} of {} accepts stay posted",
                          socket_error_text(error), posted, accepts_wanted_);
        }
    }

    void on_accept(AcceptState& a, bool ok) {
        if (ok) {  // even while stopping: the connection is handed back with the others
            std::string peer;
            const SOCKET s = win::finish_accept(a.listener, a.slot, peer);
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer))) take(conn, true);
        } else if (a.slot.s != INVALID_SOCKET) {
            ::closesocket(a.slot.s);
            a.slot.s = INVALID_SOCKET;
        }
        post_accept(a);
        op_done();
    }

    // ---- stopping ----

    void drain_all(bool sends_too) {
        std::vector<ConnState*> all;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, c] : conns_) {
                c->refs.fetch_add(1, std::memory_order_relaxed);
                all.push_back(c);
            }
        }
        for (ConnState* c : all) serve(*c, [&] { drain(*c, sends_too); });
    }

    // The stop clock gave up: operations still out are disowned (a late packet is dropped),
    // their connections closed, and what they point into leaked (see abandon()); a
    // ConnState is kept by its operations' references, never dropped now.
    void give_up() {
        std::vector<ConnState*> all;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, c] : conns_) {
                c->refs.fetch_add(1, std::memory_order_relaxed);
                all.push_back(c);
            }
        }
        for (ConnState* c : all)
            serve(*c, [&] {
                if (!c->in_flight()) return;
                // First: a worker that dequeues the completion now must not count it again.
                if (c->receiving) c->recv_op.engine = nullptr;
                if (c->sending) c->send_op.engine = nullptr;
                abandon(*c);
                std::lock_guard lock(mutex_);
                conns_.erase(c->conn->id());  // serve() lets go of the table's reference
            });
        for (auto& a : accepts_) {
            if (win::completed(a->op.ov)) continue;  // its packet is queued: a worker takes it
            a->op.engine = nullptr;
            op_done();
            (void)a.release();  // deliberately leaked: the system may still fill it
        }
        report_abandoned();
    }

    // Nothing in flight and no worker in this engine's code (20 ms at most per call).
    bool wait_idle() {
        std::unique_lock lock(idle_mutex_);
        return idle_cv_.wait_for(lock, std::chrono::milliseconds(20),
                                 [this] { return ops_in_flight() == 0 && active_.load() == 0; });
    }

    Listeners listeners_;
    int accepts_wanted_ = 0;  // set in start(), before any accept is posted
    std::vector<std::unique_ptr<AcceptState>> accepts_;

    mutable std::mutex mutex_;  // guards conns_; taken under a connection's lock, never around one
    std::unordered_map<std::uint64_t, ConnState*> conns_;  // each holds the table's reference

    std::atomic<int> active_{0};  // packets of this engine being handled by workers
    std::mutex idle_mutex_;
    std::condition_variable idle_cv_;

    std::atomic<int> accept_failures_{0};
    std::atomic<std::uint64_t> left_bound_{0};
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
    if (engine)
        engine->on_packet(e);
    else
        pool().strays.fetch_add(1, std::memory_order_relaxed);  // a stop gave up on it
}

}  // namespace

std::unique_ptr<Engine> make_iocp_engine() {
    return std::make_unique<IocpEngine>();
}

}  // namespace netcore
