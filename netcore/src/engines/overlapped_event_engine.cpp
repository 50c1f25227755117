// overlapped_event: WSARecv and WSASend are posted on buffers with an event object in the
// OVERLAPPED; WSAWaitForMultipleEvents sleeps until one is signalled and
// WSAGetOverlappedResult collects the result. Completion based, like IOCP, but the waiting
// is done by hand on event handles.
//
// - 64 handles per wait: connections are spread over groups of up to 63, each with its own
//   waiting thread and a wake-up event at index 0. A group's thread posts and completes all
//   I/O of its connections, so handler calls of one connection never overlap.
// - One event per connection, shared by its recv and its send. A signalled event is reset
//   before its operations are looked at, so a completion that lands in between signals it
//   again. After every wake-up the thread checks every connection of the group with
//   HasOverlappedIoCompleted (a memory read): high indexes are never starved by low ones.
// - The OVERLAPPED, the recv buffer and the send span (Connection::begin_write, stable until
//   end_write) live until their completion has been collected, even across a close: a close
//   cancels with CancelIoEx and the connection is finalized once nothing is in flight.
// - Backpressure: while a connection's own output is past half of max_send_queue, its next
//   WSARecv is held; the send completion that brings the output under the mark posts it.
// - Accept: AcceptEx with event-signalled OVERLAPPEDs on an acceptor thread, the same model
//   as the data path (a non-blocking accept() would need a readiness wait beside it). The
//   accepted socket gets SO_UPDATE_ACCEPT_CONTEXT.
// - hEvent carries its low bit set, so nothing reaches the completion port a socket may be
//   bound to from an earlier iocp engine.
// - stop(): receives are cancelled at once, sends get a moment and are then cancelled; the
//   groups keep collecting completions until none is in flight, then hand the connections back.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "win_overlapped.hpp"
#include "win_overlapped_conn.hpp"
#include "win_wait_groups.hpp"

namespace netcore {
namespace {

constexpr int kAcceptsPosted = 4;
constexpr auto kSendGrace = std::chrono::milliseconds(1500);

struct Group;

struct OvConn : win::OverlappedConn {
    Group* group = nullptr;
    WSAEVENT event = ::WSACreateEvent();  // shared by the receive and the send
    bool dead = false;
    ~OvConn() { ::WSACloseEvent(event); }
};

struct Group : win::WaitGroup<OvConn> {};

class OverlappedEventEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "overlapped_event"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        if (listener_ != kInvalidSocket) family_ = win::socket_family(listener);
        stopping_ = false;
        stop_event_ = ::WSACreateEvent();
        try {
            for (auto& conn : adopted) place(std::move(conn), false);
            if (listener_ != kInvalidSocket) acceptor_ = std::thread([this] { accept_loop(); });
        } catch (...) {
            stop();  // the groups already running let go of their connections (Engine::start)
            throw;
        }
    }

    std::vector<ConnectionPtr> stop() override {
        ::WSASetEvent(stop_event_);
        if (acceptor_.joinable()) acceptor_.join();
        ::WSACloseEvent(stop_event_);
        stopping_ = true;
        return groups_.stop();
    }

    void adopt(ConnectionPtr conn) override { place(std::move(conn), true); }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "overlapped_event";
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        s.threads = 1;  // the acceptor
        groups_.describe(s);
        s.details.emplace_back("pending overlapped ops", std::to_string(pending_.load()));
        s.details.emplace_back("accepts posted", std::to_string(kAcceptsPosted));
        return s;
    }

  private:
    void wake(Connection& conn) override { Group::wake(conn); }
    bool owns_io(const Connection& conn) const override { return Group::owns_io(conn); }

    void place(ConnectionPtr conn, bool needs_open) {
        groups_.place<Group>(std::move(conn), needs_open, [this](Group& g) { group_loop(g); });
    }

    // ---- acceptor thread ----

    void accept_loop() {
        struct Slot {
            win::AcceptSlot slot;
            OVERLAPPED ov{};
            WSAEVENT event = ::WSACreateEvent();
            bool pending = false;
        };
        std::vector<Slot> slots(kAcceptsPosted);
        std::vector<WSAEVENT> events{stop_event_};
        for (auto& s : slots) {
            events.push_back(s.event);
            s.ov.hEvent = win::event_without_port(s.event);
        }
        auto post = [&](Slot& s) {
            int error = 0;
            syscalls_.fetch_add(1, std::memory_order_relaxed);
            s.pending = win::post_accept(listener_, family_, s.slot, s.ov, error);
            if (s.pending) ++pending_;
        };
        auto collect = [&](Slot& s) {
            DWORD bytes = 0;
            const bool ok = win::collect(listener_, s.ov, bytes);
            s.pending = false;
            --pending_;
            events_.fetch_add(1, std::memory_order_relaxed);
            if (!ok) {
                ::closesocket(s.slot.s);
                s.slot.s = INVALID_SOCKET;
                return;
            }
            std::string peer;
            const SOCKET sock = win::finish_accept(listener_, s.slot, peer);
            if (ConnectionPtr conn = host_->make_connection(sock, std::move(peer)))
                place(std::move(conn), true);
        };
        for (auto& s : slots) post(s);
        for (;;) {
            const DWORD r = ::WSAWaitForMultipleEvents(static_cast<DWORD>(events.size()),
                                                       events.data(), FALSE, WSA_INFINITE, FALSE);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            if (r == WSA_WAIT_EVENT_0 || r == WSA_WAIT_FAILED) break;
            for (auto& s : slots) {
                if (!s.pending || !win::completed(s.ov)) continue;
                ::WSAResetEvent(s.event);
                collect(s);
                post(s);
            }
        }
        // Stopping: cancel what is posted and wait for each completion before the slot goes.
        for (auto& s : slots) {
            if (s.pending) {
                ::CancelIoEx(reinterpret_cast<HANDLE>(listener_), &s.ov);
                ::WaitForSingleObject(s.event, INFINITE);
                collect(s);
            }
            ::WSACloseEvent(s.event);
        }
    }

    // ---- group threads ----

    void group_loop(Group& g) {
        auto deadline = std::chrono::steady_clock::time_point::max();
        bool cancelled_sends = false;
        for (;;) {
            auto inbox = g.take_inbox();
            for (auto& [conn, needs_open] : inbox.incoming) take(g, std::move(conn), needs_open);
            for (auto id : inbox.woken)
                if (OvConn* c = g.find(id)) on_wake(*c);
            collect_all(g);

            const bool quit = inbox.quit;
            if (quit) {
                // Drain: no new posts (stopping_), receives cancelled now, sends after a grace.
                if (deadline == std::chrono::steady_clock::time_point::max())
                    deadline = std::chrono::steady_clock::now() + kSendGrace;
                const bool sends_too = std::chrono::steady_clock::now() > deadline;
                bool busy = false;
                for (std::size_t i = 1; i < g.size(); ++i) {
                    OvConn& c = g.at(i);
                    const auto h = reinterpret_cast<HANDLE>(c.conn->socket());
                    if (c.receiving) ::CancelIoEx(h, &c.recv_ov);
                    if (c.sending && sends_too && !cancelled_sends) ::CancelIoEx(h, &c.send_ov);
                    busy = busy || c.receiving || c.sending;
                }
                cancelled_sends = sends_too;
                if (!busy) return release_all(g);
            }

            const DWORD n = static_cast<DWORD>(g.events.size());
            const DWORD r = ::WSAWaitForMultipleEvents(n, g.events.data(), FALSE,
                                                       quit ? 20 : WSA_INFINITE, FALSE);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            syscalls_.fetch_add(1, std::memory_order_relaxed);
            if (r == WSA_WAIT_FAILED) ::Sleep(1);
        }
    }

    void take(Group& g, ConnectionPtr conn, bool needs_open) {
        auto owned = std::make_unique<OvConn>();
        OvConn& c = *owned;
        c.conn = conn;
        c.group = &g;
        c.recv_ov.hEvent = win::event_without_port(c.event);
        c.send_ov.hEvent = c.recv_ov.hEvent;
        g.add(std::move(owned));
        EngineSlot::attach(*conn, this, &c);  // before on_open: the handler may send at once
        if (needs_open) host_->connection_opened(conn);
        post_recv(c);
        after_io(c);
    }

    // Looks at every connection of the group: fair to all indexes, and a memory read each.
    // Posting resets the connection's event (every overlapped call resets its event), which can
    // swallow the signal of its other operation if that had just finished: passes repeat until
    // one finds nothing, so no completion is left waiting for a signal that was lost.
    void collect_all(Group& g) {
        for (bool found = true; found;) {
            found = false;
            for (std::size_t i = 1; i < g.size(); ++i) {
                OvConn& c = g.at(i);
                if (c.dead) continue;
                const bool recv_done = c.receiving && win::completed(c.recv_ov);
                const bool send_done = c.sending && win::completed(c.send_ov);
                if (!recv_done && !send_done) continue;
                found = true;
                ::WSAResetEvent(c.event);
                if (c.receiving && win::completed(c.recv_ov)) on_recv(c);
                if (c.sending && win::completed(c.send_ov)) on_send(c);
            }
        }
        g.compact();
    }

    void post_recv(OvConn& c) {
        if (!c.may_receive(stopping_)) return;
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (win::start_recv(c.conn->socket(), c.recv_buf.get(), c.recv_ov)) {
            c.receiving = true;  // signalled through the event even when done at once
            ++pending_;
        } else {
            c.begin_close(CloseReason::Reset);
        }
    }

    void post_send(OvConn& c) {
        const auto bytes = c.next_send(stopping_);
        if (bytes.empty()) return;
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (win::start_send(c.conn->socket(), bytes, c.send_ov)) {
            c.sending = true;
            ++pending_;
        } else {
            c.send_failed();
        }
    }

    void on_recv(OvConn& c) {
        DWORD bytes = 0;
        const bool ok = win::collect(c.conn->socket(), c.recv_ov, bytes);
        count_completion();
        follow(c, c.recv_done(ok, bytes, stopping_, host_->handler()));
    }

    void on_send(OvConn& c) {
        DWORD bytes = 0;
        const bool ok = win::collect(c.conn->socket(), c.send_ov, bytes);
        count_completion();
        follow(c, c.send_done(ok, bytes, stopping_));
    }

    void count_completion() {
        --pending_;
        events_.fetch_add(1, std::memory_order_relaxed);
        syscalls_.fetch_add(1, std::memory_order_relaxed);  // WSAGetOverlappedResult
    }

    void follow(OvConn& c, win::NextIo next) {
        if (next.send) post_send(c);
        if (next.receive) post_recv(c);
        after_io(c);
    }

    void on_wake(OvConn& c) {
        EngineSlot::take_flush(*c.conn);
        post_send(c);
        after_io(c);
    }

    // Starts a close the connection asks for, and finishes any close once nothing is in flight.
    void after_io(OvConn& c) {
        if (c.dead) return;
        if (c.conn->must_finalize()) c.begin_close(CloseReason::PeerClosed);
        if (c.closing && !c.in_flight()) {
            c.group->drop(c);
            finalize_connection(*c.conn, *host_, c.observed);
        }
    }

    void release_all(Group& g) {
        g.release_all([](OvConn&) {});  // nothing is in flight any more
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    int family_ = AF_INET;
    WSAEVENT stop_event_ = WSA_INVALID_EVENT;
    std::thread acceptor_;
    std::atomic<bool> stopping_{false};

    win::WaitGroupList groups_;

    std::atomic<long> pending_{0};
    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0};
};

}  // namespace

std::unique_ptr<Engine> make_overlapped_event_engine() {
    return std::make_unique<OverlappedEventEngine>();
}

}  // namespace netcore
