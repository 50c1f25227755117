// overlapped_callback: WSARecv and WSASend with completion routines. Windows queues each
// routine as an APC to the thread that issued the I/O, and runs it only while that thread
// sits in an alertable wait (SleepEx, WaitForSingleObjectEx, WSAWaitForMultipleEvents with
// fAlertable = TRUE). No handle limit: one thread serves every connection. What a completion
// means for its connection is the completion family's (completion_engine.hpp); this file is
// the routines and the alertable wait.
//
// - Everything happens on the engine's own thread: it issues all I/O, so every routine runs
//   there, and handler calls never overlap. Other threads wake it with QueueUserAPC.
// - Receives are zero-byte WSARecvs: an idle connection pins no buffer.
// - AcceptEx has no completion-routine form, so accepts are AcceptEx with event-signalled
//   OVERLAPPEDs, and the alertable wait is WSAWaitForMultipleEvents on those events: one wait
//   serves both.
// - hEvent is free when a routine is given: it carries the connection's state to the routine.
//   A routine is queued even when the call completes at once.
// - A socket an earlier iocp engine bound to the completion port refuses routines
//   (WSAEINVAL), and Wine cannot unbind it. Such sockets post their I/O with one shared
//   event (low bit set: not to the port) that is part of the same alertable wait; when it
//   fires, the thread finds the finished operations (HasOverlappedIoCompleted) and runs the
//   very same routines itself. Same thread, same order, no handle limit. Each post resets that
//   event (as every overlapped call resets its event), which can swallow the signal of another
//   socket's operation that had just finished: after posting, the thread looks before it waits.
// - stop(): receives are cancelled at once, sends get a moment and are then cancelled; the
//   thread keeps waiting alertably until every routine has run (bounded: StopClock), then
//   hands the connections back.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "completion_engine.hpp"
#include "wake_inbox.hpp"
#include "win_event_accepts.hpp"

namespace netcore {
namespace {

class OverlappedCallbackEngine;

struct CbConn : CompletionConn {
    OverlappedCallbackEngine* engine = nullptr;
    OVERLAPPED recv_ov{}, send_ov{};
    bool bound = false;  // bound to a completion port: no routines (see the file comment)
};

class OverlappedCallbackEngine final : public CompletionEngine {
  public:
    OverlappedCallbackEngine() : CompletionEngine("overlapped_callback") {}

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        quit_ = false;
        start_posting();
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
        queue_apc(&OverlappedCallbackEngine::apc_quit);
        thread_.join();
        ::CloseHandle(thread_handle_);
        inbox_.hand_on_adopted(*host_, handed_back_);
        return std::move(handed_back_);
    }

    void adopt(ConnectionPtr conn) override {
        if (inbox_.post_adopt(std::move(conn))) queue_apc(&OverlappedCallbackEngine::apc_wake);
    }

    EngineStats stats() const override {
        EngineStats s = base_stats(1);
        s.details.insert(
            s.details.end(),
            {{"connections", std::to_string(count_.load())},
             {"receives", "zero-byte (no buffer until data is there)"},
             {"completion routines run", std::to_string(routines_.load())},
             {"wake-up APCs", std::to_string(apcs_.load())},
             {"port-bound sockets (shared event)", std::to_string(bound_count_.load())},
             {"accepts posted", std::to_string(win::EventAccepts::kPosted) + " per listener"}});
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (inbox_.wake(conn, conn.id(), t_loop == this, dirty_))
            queue_apc(&OverlappedCallbackEngine::apc_wake);
    }

    bool owns_io(const Connection&) const override { return t_loop == this; }

    void queue_apc(PAPCFUNC apc) {
        ::QueueUserAPC(apc, thread_handle_, reinterpret_cast<ULONG_PTR>(this));
    }

    static void CALLBACK apc_wake(ULONG_PTR self) {
        auto* e = reinterpret_cast<OverlappedCallbackEngine*>(self);
        e->apcs_.fetch_add(1, std::memory_order_relaxed);
        for (auto& conn : e->inbox_.take(e->dirty_)) e->adopted_.push_back(std::move(conn));
    }

    static void CALLBACK apc_quit(ULONG_PTR self) {
        reinterpret_cast<OverlappedCallbackEngine*>(self)->quit_ = true;
    }

    static void CALLBACK recv_routine(DWORD error, DWORD, LPWSAOVERLAPPED ov, DWORD) {
        auto* c = static_cast<CbConn*>(ov->hEvent);
        auto* engine = c->engine;
        engine->ran_routine();
        engine->receive_ready(*c, error == 0);  // may free c
        engine->serve_woken();  // flush what the handler queued before the next receive lands
    }

    static void CALLBACK send_routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD) {
        auto* c = static_cast<CbConn*>(ov->hEvent);
        auto* engine = c->engine;
        engine->ran_routine();
        engine->sent(*c, bytes, error != 0);  // cancelled: what went out before; may free c
        engine->serve_woken();
    }

    void loop(std::vector<ConnectionPtr> adopted) {
        t_loop = this;
        bound_event_ = ::WSACreateEvent();  // before any I/O: port-bound sockets need it
        for (auto& conn : adopted) take(conn, false);
        std::unique_ptr<win::EventAccepts> accepts;
        std::vector<WSAEVENT> events;
        if (!listeners_.empty()) {  // a client has none
            accepts = std::make_unique<win::EventAccepts>(listeners_);
            events = accepts->events();
            count_syscalls(accepts->post_all());
        }
        events.push_back(bound_event_);
        const DWORD bound_index = static_cast<DWORD>(events.size() - 1);
        StopClock clock;
        for (;;) {
            take_adopted();
            serve_woken();
            if (quit_ && drained(accepts, clock)) break;
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
            count_wakeup();
            count_syscalls(1);
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
            if (accepts)
                count_events(accepts->collect(!stopping(), [this](SOCKET s, std::string peer) {
                    if (ConnectionPtr conn = host_->make_connection(s, std::move(peer)))
                        take(conn, true);  // even while stopping: handed back with the others
                }));
        }
        accepts.reset();
        take_adopted();  // what an APC brought in the last wait: opened, then handed back
        if (!bound_event_leaked_) ::WSACloseEvent(bound_event_);
        for (auto& [id, c] : conns_) {
            EngineSlot::detach(*c->conn);
            handed_back_.push_back(std::move(c->conn));
        }
        conns_.clear();
        t_loop = nullptr;
    }

    // Registers and opens what the wake-up APC took from the inbox (while stopping too: no
    // receive is posted then, and the connection is handed back opened).
    void take_adopted() {
        while (!adopted_.empty()) {
            std::vector<ConnectionPtr> batch;
            batch.swap(adopted_);
            for (auto& conn : batch) take(conn, true);
        }
    }

    // Stopping: receives and accepts are cancelled now, sends after a grace. True once nothing
    // is in flight any more, or once the clock gave up on what is.
    bool drained(std::unique_ptr<win::EventAccepts>& accepts, StopClock& clock) {
        if (!stopping()) {
            stop_posting();
            if (accepts) accepts->cancel();
        }
        const bool sends_too = clock.sends_due();
        bool busy = accepts && accepts->posted() > 0;
        for (auto& [id, c] : conns_) {
            drain(*c, sends_too);
            busy = busy || c->in_flight();
        }
        if (busy && clock.given_up()) {
            give_up(accepts);
            busy = false;
        }
        return !busy;
    }

    // The clock gave up: connections with operations still out are closed, and leaked with
    // their OVERLAPPEDs (see abandon()); so are accepts still posted, and the shared event a
    // bound socket's operation may still signal. Their routines can never run: this thread
    // ends without another alertable wait.
    void give_up(std::unique_ptr<win::EventAccepts>& accepts) {
        for (auto it = conns_.begin(); it != conns_.end();) {
            CbConn& c = *it->second;
            if (!c.in_flight()) {
                ++it;
                continue;
            }
            abandon(c);
            if (c.bound) {
                --bound_count_;
                bound_event_leaked_ = true;
            }
            --count_;
            (void)it->second.release();  // deliberately leaked: see abandon()
            it = conns_.erase(it);
        }
        if (accepts && accepts->posted() > 0) (void)accepts.release();
        report_abandoned();
    }

    void take(const ConnectionPtr& conn, bool needs_open) {
        auto owned = std::make_unique<CbConn>();
        CbConn& c = *owned;
        c.engine = this;
        c.conn = conn;
        conns_.emplace(conn->id(), std::move(owned));
        ++count_;
        open(c, needs_open);
    }

    void serve_woken() {
        serve_dirty(dirty_, [this](std::uint64_t id) {
            auto it = conns_.find(id);
            if (it != conns_.end() && EngineSlot::flush_scheduled(*it->second->conn))
                woken(*it->second);
        });
    }

    // ---- the model's half of the completion flow (the engine's thread) ----

    int submit_receive(CompletionConn& base) override {
        auto& c = static_cast<CbConn&>(base);
        const SOCKET s = c.conn->socket();
        return issue(c, c.recv_ov, &recv_routine, [s](OVERLAPPED& ov, auto routine) {
            return win::start_zero_byte_recv(s, ov, routine);
        });
    }

    int submit_send(CompletionConn& base, std::span<const std::byte> bytes) override {
        auto& c = static_cast<CbConn&>(base);
        const SOCKET s = c.conn->socket();
        return issue(c, c.send_ov, &send_routine, [s, bytes](OVERLAPPED& ov, auto routine) {
            return win::start_send(s, bytes, ov, routine);
        });
    }

    // Issues the operation with a routine, or for a port-bound socket with the shared event.
    // `start(ov, routine)` is win::start_zero_byte_recv or win::start_send on the connection.
    template <class Start>
    int issue(CbConn& c, OVERLAPPED& ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done, Start&& start) {
        for (;;) {
            // Winsock ignores hEvent when a routine is given: it carries the state to it.
            ov.hEvent = c.bound ? win::event_without_port(bound_event_) : &c;
            count_syscalls(1);
            if (start(ov, c.bound ? nullptr : done)) {
                bound_posted_ = bound_posted_ || c.bound;
                return 0;
            }
            // A socket an iocp engine bound to the port refuses completion routines.
            const int error = ::WSAGetLastError();
            if (error != WSAEINVAL || c.bound) return error;
            c.bound = true;
            ++bound_count_;
        }
    }

    void cancel(CompletionConn& base, Cancel which) override {
        auto& c = static_cast<CbConn&>(base);
        win::cancel(c.conn->socket(), which == Cancel::Both ? nullptr : &c.recv_ov);
    }

    void forget(CompletionConn& base) override {
        auto it = conns_.find(base.conn->id());
        if (it->second->bound) --bound_count_;
        --count_;
        conns_.erase(it);  // no routine can still name it
    }

    // Completions of port-bound sockets: the shared event says "some finished"; look at each,
    // and run the routine's part here.
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
                ran_routine();
                if (recv)
                    receive_ready(c, ok);
                else
                    sent(c, bytes, !ok);  // cancelled: what went out before
                serve_woken();
            }
        }
    }

    void ran_routine() {
        routines_.fetch_add(1, std::memory_order_relaxed);
        count_events(1);
    }

    static thread_local OverlappedCallbackEngine* t_loop;

    Listeners listeners_;
    std::thread thread_;
    HANDLE thread_handle_ = nullptr;
    bool quit_ = false;  // set by an APC on the engine thread
    WSAEVENT bound_event_ = WSA_INVALID_EVENT;
    bool bound_posted_ = false;        // posted on bound_event_ since the last collect_bound
    bool bound_event_leaked_ = false;  // a stop gave up on an operation that may signal it

    std::unordered_map<std::uint64_t, std::unique_ptr<CbConn>> conns_;  // engine thread only
    std::vector<std::uint64_t> dirty_;  // woken for output, on the engine thread
    std::vector<ConnectionPtr> handed_back_;

    WakeInbox inbox_;  // woken from other threads, adopted and not yet registered
    std::vector<ConnectionPtr> adopted_;  // moved over by the APC, engine thread only

    std::atomic<std::size_t> count_{0}, bound_count_{0};
    std::atomic<std::uint64_t> routines_{0}, apcs_{0};
};

thread_local OverlappedCallbackEngine* OverlappedCallbackEngine::t_loop = nullptr;

}  // namespace

std::unique_ptr<Engine> make_overlapped_callback_engine() {
    return std::make_unique<OverlappedCallbackEngine>();
}

}  // namespace netcore
