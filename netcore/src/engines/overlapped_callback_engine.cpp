// overlapped_callback: WSARecv and WSASend with completion routines. Windows queues each
// routine as an APC to the thread that issued the I/O, and runs it only while that thread
// sits in an alertable wait (SleepEx, WaitForSingleObjectEx, WSAWaitForMultipleEvents with
// fAlertable = TRUE). No handle limit: one thread serves every connection.
//
// - Everything happens on the engine's own thread: it issues all I/O, so every routine runs
//   there, and handler calls never overlap. Other threads wake it with QueueUserAPC.
// - AcceptEx has no completion-routine form, so accepts are AcceptEx with event-signalled
//   OVERLAPPEDs, and the alertable wait is WSAWaitForMultipleEvents on those events: one wait
//   serves both. SO_UPDATE_ACCEPT_CONTEXT after each accept.
// - hEvent is free when a routine is given: it carries the connection's state to the routine.
// - The OVERLAPPED, the recv buffer and the send span stay alive until their routine ran,
//   also across a close (CancelIoEx, then the connection is finalized once nothing is in
//   flight). A routine is queued even when the call completes at once.
// - Backpressure: while a connection's own output is past half of max_send_queue, its next
//   WSARecv is held; the send routine that brings the output under the mark posts it.
// - A socket an earlier iocp engine bound to the completion port refuses routines
//   (WSAEINVAL), and Wine cannot unbind it. Such sockets post their I/O with one shared
//   event (low bit set: not to the port) that is part of the same alertable wait; when it
//   fires, the thread finds the finished operations (HasOverlappedIoCompleted) and runs the
//   very same routines itself. Same thread, same order, no handle limit. Each post resets that
//   event (as every overlapped call resets its event), which can swallow the signal of another
//   socket's operation that had just finished: after posting, the thread looks before it waits.
// - stop(): receives are cancelled at once, sends get a moment and are then cancelled; the
//   thread keeps waiting alertably until every routine has run, then hands the connections back.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "wake_inbox.hpp"
#include "win_overlapped.hpp"
#include "win_overlapped_conn.hpp"

namespace netcore {
namespace {

constexpr int kAcceptsPosted = 4;
constexpr auto kSendGrace = std::chrono::milliseconds(1500);

class OverlappedCallbackEngine;

struct CbConn : win::OverlappedConn {
    OverlappedCallbackEngine* engine = nullptr;
    bool bound = false;  // bound to a completion port: no routines (see the file comment)
};

class OverlappedCallbackEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "overlapped_callback"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        if (listener_ != kInvalidSocket) family_ = win::socket_family(listener);
        quit_ = false;
        std::promise<HANDLE> ready;
        auto handle = ready.get_future();
        thread_ = std::thread([this, &ready, adopted = std::move(adopted)]() mutable {
            // A real handle to this thread, for QueueUserAPC from the others.
            HANDLE self = nullptr;
            ::DuplicateHandle(::GetCurrentProcess(), ::GetCurrentThread(), ::GetCurrentProcess(),
                              &self, 0, FALSE, DUPLICATE_SAME_ACCESS);
            ready.set_value(self);
            loop(std::move(adopted));
        });
        thread_handle_ = handle.get();
    }

    std::vector<ConnectionPtr> stop() override {
        ::QueueUserAPC(&OverlappedCallbackEngine::apc_quit, thread_handle_,
                       reinterpret_cast<ULONG_PTR>(this));
        thread_.join();
        ::CloseHandle(thread_handle_);
        inbox_.hand_on_adopted(*host_, handed_back_);
        return std::move(handed_back_);
    }

    void adopt(ConnectionPtr conn) override {
        if (inbox_.post_adopt(std::move(conn)))
            ::QueueUserAPC(&OverlappedCallbackEngine::apc_wake, thread_handle_,
                           reinterpret_cast<ULONG_PTR>(this));
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "overlapped_callback";
        s.threads = 1;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        s.details = {{"connections", std::to_string(count_.load())},
                     {"pending overlapped ops", std::to_string(pending_.load())},
                     {"completion routines run", std::to_string(routines_.load())},
                     {"wake-up APCs", std::to_string(apcs_.load())},
                     {"port-bound sockets (shared event)", std::to_string(bound_count_.load())},
                     {"accepts posted", std::to_string(kAcceptsPosted)}};
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (inbox_.wake(conn, conn.id(), t_loop == this, dirty_))
            ::QueueUserAPC(&OverlappedCallbackEngine::apc_wake, thread_handle_,
                           reinterpret_cast<ULONG_PTR>(this));
    }

    bool owns_io(const Connection&) const override { return t_loop == this; }

    struct AcceptSlot {
        win::AcceptSlot slot;
        OVERLAPPED ov{};
        WSAEVENT event = ::WSACreateEvent();
        bool pending = false;
    };

    static void CALLBACK apc_wake(ULONG_PTR self) {
        auto* e = reinterpret_cast<OverlappedCallbackEngine*>(self);
        e->apcs_.fetch_add(1, std::memory_order_relaxed);
        for (auto& conn : e->inbox_.take(e->dirty_)) e->adopted_.push_back(std::move(conn));
    }

    static void CALLBACK apc_quit(ULONG_PTR self) {
        reinterpret_cast<OverlappedCallbackEngine*>(self)->quit_ = true;
    }

    static void CALLBACK recv_routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD) {
        auto* c = static_cast<CbConn*>(ov->hEvent);
        auto* engine = c->engine;
        engine->on_recv(*c, error == 0, bytes);  // may free c
        engine->serve_dirty();  // flush what the handler queued before the next recv lands
    }

    static void CALLBACK send_routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD) {
        auto* c = static_cast<CbConn*>(ov->hEvent);
        auto* engine = c->engine;
        engine->on_send(*c, error == 0, bytes);  // may free c
        engine->serve_dirty();
    }

    void loop(std::vector<ConnectionPtr> adopted) {
        t_loop = this;
        bound_event_ = ::WSACreateEvent();  // before any I/O: port-bound sockets need it
        for (auto& conn : adopted) take(conn, false);
        std::vector<AcceptSlot> accepts(kAcceptsPosted);
        std::vector<WSAEVENT> events;
        if (listener_ == kInvalidSocket) accepts.clear();  // a client: no accepts
        for (auto& a : accepts) {
            events.push_back(a.event);
            a.ov.hEvent = win::event_without_port(a.event);
            post_accept(a);
        }
        events.push_back(bound_event_);
        const DWORD bound_index = static_cast<DWORD>(events.size() - 1);
        auto deadline = std::chrono::steady_clock::time_point::max();
        for (;;) {
            while (!adopted_.empty() && !quit_) {
                std::vector<ConnectionPtr> batch;
                batch.swap(adopted_);
                for (auto& conn : batch) take(conn, true);
            }
            serve_dirty();
            if (quit_) {
                if (deadline == std::chrono::steady_clock::time_point::max()) {
                    deadline = std::chrono::steady_clock::now() + kSendGrace;
                    stopping_ = true;
                    for (auto& a : accepts)
                        if (a.pending) ::CancelIoEx(reinterpret_cast<HANDLE>(listener_), &a.ov);
                }
                const bool sends_too = std::chrono::steady_clock::now() > deadline;
                bool busy = false;
                for (auto& [id, c] : conns_) {
                    const auto h = reinterpret_cast<HANDLE>(c->conn->socket());
                    if (c->receiving) ::CancelIoEx(h, &c->recv_ov);
                    if (c->sending && sends_too) ::CancelIoEx(h, &c->send_ov);
                    busy = busy || c->receiving || c->sending;
                }
                for (auto& a : accepts) busy = busy || a.pending;
                if (!busy) break;
            }
            // Every overlapped call resets the event it is given, so a post on the shared event
            // may have swallowed the signal of a bound operation that had just finished.
            while (bound_posted_) {
                bound_posted_ = false;
                collect_bound();
            }
            // The alertable wait: completion routines and wake-up APCs run inside it.
            const DWORD r =
                ::WSAWaitForMultipleEvents(static_cast<DWORD>(events.size()), events.data(), FALSE,
                                           quit_ ? 20 : WSA_INFINITE, TRUE);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            syscalls_.fetch_add(1, std::memory_order_relaxed);
            if (r == WSA_WAIT_FAILED) {
                ::SleepEx(1, TRUE);
                continue;
            }
            // A wait that ran routines returns WSA_WAIT_IO_COMPLETION without looking at the
            // events: with routines always queued (busy connections) the accepts and the
            // bound sockets would starve. So their state is checked after every wait.
            const bool ran_routines = r == WSA_WAIT_IO_COMPLETION;
            if (r == WSA_WAIT_EVENT_0 + bound_index || (quit_ && bound_count_ > 0) ||
                (ran_routines && bound_count_ > 0 &&
                 ::WSAWaitForMultipleEvents(1, &bound_event_, FALSE, 0, FALSE) == WSA_WAIT_EVENT_0))
                collect_bound();
            for (auto& a : accepts)
                if (a.pending && win::completed(a.ov)) {
                    ::WSAResetEvent(a.event);
                    on_accept(a);
                }
        }
        for (auto& a : accepts) ::WSACloseEvent(a.event);
        ::WSACloseEvent(bound_event_);
        for (auto& [id, c] : conns_) {
            EngineSlot::detach(*c->conn);
            handed_back_.push_back(std::move(c->conn));
        }
        conns_.clear();
        for (auto& conn : adopted_) handed_back_.push_back(std::move(conn));  // never opened
        adopted_.clear();
        t_loop = nullptr;
    }

    void post_accept(AcceptSlot& a) {
        if (stopping_) return;
        int error = 0;
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        a.pending = win::post_accept(listener_, family_, a.slot, a.ov, error);
    }

    void on_accept(AcceptSlot& a) {
        DWORD bytes = 0;
        const bool ok = win::collect(listener_, a.ov, bytes);
        a.pending = false;
        events_.fetch_add(1, std::memory_order_relaxed);
        if (ok) {  // even while stopping: the connection is handed back with the others
            std::string peer;
            const SOCKET s = win::finish_accept(listener_, a.slot, peer);
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer))) take(conn, true);
        } else {
            ::closesocket(a.slot.s);
            a.slot.s = INVALID_SOCKET;
        }
        post_accept(a);
    }

    void take(const ConnectionPtr& conn, bool needs_open) {
        auto owned = std::make_unique<CbConn>();
        CbConn& c = *owned;
        c.engine = this;
        c.conn = conn;
        c.recv_ov.hEvent = &c;  // ignored by Winsock when a routine is given: our context
        c.send_ov.hEvent = &c;
        conns_.emplace(conn->id(), std::move(owned));
        ++count_;
        EngineSlot::attach(*conn, this, &c);  // before on_open: the handler may send at once
        if (needs_open) host_->connection_opened(conn);
        post_recv(c);
        after_io(c);
    }

    void serve_dirty() {
        while (!dirty_.empty()) {
            std::vector<std::uint64_t> batch;
            batch.swap(dirty_);
            for (auto id : batch) {
                auto it = conns_.find(id);
                if (it == conns_.end()) continue;
                CbConn& c = *it->second;
                EngineSlot::take_flush(*c.conn);
                post_send(c);
                after_io(c);
            }
        }
    }

    // Issues the operation with a routine, or for a port-bound socket with the shared event.
    // `start(ov, routine)` is win::start_recv or win::start_send on the connection.
    template <class Start>
    bool issue(CbConn& c, OVERLAPPED& ov, Start&& start, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
        for (;;) {
            ov.hEvent = c.bound ? win::event_without_port(bound_event_) : &c;
            syscalls_.fetch_add(1, std::memory_order_relaxed);
            if (start(ov, c.bound ? nullptr : done)) {
                bound_posted_ = bound_posted_ || c.bound;
                return true;
            }
            // A socket an iocp engine bound to the port refuses completion routines.
            if (::WSAGetLastError() != WSAEINVAL || c.bound) return false;
            c.bound = true;
            ++bound_count_;
        }
    }

    void post_recv(CbConn& c) {
        if (!c.may_receive(stopping_)) return;
        const SOCKET s = c.conn->socket();
        auto start = [&](OVERLAPPED& ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine) {
            return win::start_recv(s, c.recv_buf.get(), ov, routine);
        };
        if (issue(c, c.recv_ov, start, &recv_routine)) {
            c.receiving = true;  // the routine is queued even when the call completed at once
            ++pending_;
        } else {
            c.begin_close(CloseReason::Reset);
        }
    }

    void post_send(CbConn& c) {
        const auto bytes = c.next_send(stopping_);
        if (bytes.empty()) return;
        const SOCKET s = c.conn->socket();
        auto start = [&](OVERLAPPED& ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine) {
            return win::start_send(s, bytes, ov, routine);
        };
        if (issue(c, c.send_ov, start, &send_routine)) {
            c.sending = true;
            ++pending_;
        } else {
            c.send_failed();
        }
    }

    // Completions of port-bound sockets: the shared event says "some finished"; look at each.
    void collect_bound() {
        ::WSAResetEvent(bound_event_);
        std::vector<std::uint64_t> ids;
        for (auto& [id, c] : conns_)
            if (c->bound && ((c->receiving && win::completed(c->recv_ov)) ||
                             (c->sending && win::completed(c->send_ov))))
                ids.push_back(id);
        for (auto id : ids) {
            for (bool recv : {true, false}) {
                auto it = conns_.find(id);
                if (it == conns_.end()) break;
                CbConn& c = *it->second;
                OVERLAPPED& ov = recv ? c.recv_ov : c.send_ov;
                if (!(recv ? c.receiving : c.sending) || !win::completed(ov)) continue;
                DWORD bytes = 0;
                const bool ok = win::collect(c.conn->socket(), ov, bytes);
                if (recv)
                    on_recv(c, ok, bytes);
                else
                    on_send(c, ok, bytes);
                serve_dirty();
            }
        }
    }

    void on_recv(CbConn& c, bool ok, DWORD bytes) {
        ran_routine();
        follow(c, c.recv_done(ok, bytes, stopping_, host_->handler()));
    }

    void on_send(CbConn& c, bool ok, DWORD bytes) {
        ran_routine();
        follow(c, c.send_done(ok, bytes, stopping_));
    }

    void ran_routine() {
        --pending_;
        routines_.fetch_add(1, std::memory_order_relaxed);
        events_.fetch_add(1, std::memory_order_relaxed);
    }

    void follow(CbConn& c, win::NextIo next) {
        if (next.send) post_send(c);
        if (next.receive) post_recv(c);
        after_io(c);
    }

    // Finishes a close once no routine can still name the connection's state.
    void after_io(CbConn& c) {
        if (c.conn->must_finalize()) c.begin_close(CloseReason::PeerClosed);
        if (!c.closing || c.in_flight()) return;
        ConnectionPtr conn = c.conn;
        auto it = conns_.find(conn->id());
        std::unique_ptr<CbConn> dead = std::move(it->second);
        conns_.erase(it);
        --count_;
        if (dead->bound) --bound_count_;
        finalize_connection(*conn, *host_, dead->observed);
    }

    static thread_local OverlappedCallbackEngine* t_loop;

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    int family_ = AF_INET;
    std::thread thread_;
    HANDLE thread_handle_ = nullptr;
    bool quit_ = false;  // set by an APC on the engine thread
    WSAEVENT bound_event_ = WSA_INVALID_EVENT;
    bool bound_posted_ = false;  // posted on bound_event_ since the last collect_bound
    bool stopping_ = false;      // engine thread only

    std::unordered_map<std::uint64_t, std::unique_ptr<CbConn>> conns_;  // engine thread only
    std::vector<std::uint64_t> dirty_;  // woken for output, on the engine thread
    std::vector<ConnectionPtr> handed_back_;

    WakeInbox inbox_;  // woken from other threads, adopted and not yet registered
    std::vector<ConnectionPtr> adopted_;  // moved over by the APC, engine thread only

    std::atomic<long> pending_{0};
    std::atomic<std::size_t> count_{0}, bound_count_{0};
    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, routines_{0}, apcs_{0};
};

thread_local OverlappedCallbackEngine* OverlappedCallbackEngine::t_loop = nullptr;

}  // namespace

std::unique_ptr<Engine> make_overlapped_callback_engine() {
    return std::make_unique<OverlappedCallbackEngine>();
}

}  // namespace netcore
