// overlapped_event: WSARecv and WSASend are posted with an event object in the OVERLAPPED;
// WSAWaitForMultipleEvents sleeps until one is signalled and WSAGetOverlappedResult collects
// the result. Completion based, like IOCP, but the waiting is done by hand on event handles.
// What a completion means for its connection is the completion family's
// (completion_engine.hpp); this file is the events.
//
// - 64 handles per wait: connections are spread over groups of up to 63 (win_wait_groups),
//   each with its own waiting thread and a wake-up event at index 0. A group's thread posts
//   and completes all I/O of its connections, so handler calls of one connection never overlap.
// - One event per connection, shared by its receive and its send. A signalled event is reset
//   before its operations are looked at, so a completion that lands in between signals it
//   again. After every wake-up the thread checks every connection of the group with
//   HasOverlappedIoCompleted (a memory read): high indexes are never starved by low ones.
// - Receives are zero-byte WSARecvs: an idle connection pins no buffer.
// - Accept: AcceptEx with event-signalled OVERLAPPEDs on an acceptor thread, the same model
//   as the data path (a non-blocking accept() would need a readiness wait beside it).
// - hEvent carries its low bit set, so nothing reaches the completion port a socket may be
//   bound to from an earlier iocp engine.
// - stop(): receives are cancelled at once, sends get a moment and are then cancelled; the
//   groups keep collecting completions until none is in flight (bounded: StopClock), then
//   hand the connections back.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "completion_engine.hpp"
#include "win_event_accepts.hpp"
#include "win_wait_groups.hpp"

namespace netcore {
namespace {

struct Group;

struct OvConn : CompletionConn {
    Group* group = nullptr;
    WSAEVENT event = ::WSACreateEvent();  // shared by the receive and the send
    OVERLAPPED recv_ov{}, send_ov{};
    bool dead = false;  // dropped from its group (the group frees it later)
    ~OvConn() { ::WSACloseEvent(event); }
};

struct Group : win::WaitGroup<OvConn> {};

class OverlappedEventEngine final : public CompletionEngine {
  public:
    OverlappedEventEngine() : CompletionEngine("overlapped_event") {}

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        start_posting();
        stop_event_ = ::WSACreateEvent();
        win::StopUnlessStarted guard(*this);
        for (auto& conn : adopted) groups_.place(std::move(conn), false);
        if (!listeners_.empty()) acceptor_ = std::thread([this] { accept_loop(); });
        guard.started();
    }

    std::vector<ConnectionPtr> stop() override {
        ::WSASetEvent(stop_event_);
        if (acceptor_.joinable()) acceptor_.join();
        ::WSACloseEvent(stop_event_);
        stop_posting();
        return groups_.stop(*host_);
    }

    void adopt(ConnectionPtr conn) override { groups_.place(std::move(conn), true); }

    EngineStats stats() const override {
        EngineStats s = base_stats(1);  // the acceptor, and a thread per group:
        groups_.describe(s);
        s.details.emplace_back("receives", "zero-byte (no buffer until data is there)");
        s.details.emplace_back("accepts posted",
                               std::to_string(win::EventAccepts::kPosted) + " per listener");
        return s;
    }

  private:
    void wake(Connection& conn) override { Group::wake(conn); }
    bool owns_io(const Connection& conn) const override { return Group::owns_io(conn); }

    // ---- the model's half of the completion flow (the group's thread) ----

    int submit_receive(CompletionConn& base) override {
        auto& c = static_cast<OvConn&>(base);
        count_syscalls(1);
        return win::start_zero_byte_recv(c.conn->socket(), c.recv_ov) ? 0 : ::WSAGetLastError();
    }

    int submit_send(CompletionConn& base, std::span<const std::byte> bytes) override {
        auto& c = static_cast<OvConn&>(base);
        count_syscalls(1);
        return win::start_send(c.conn->socket(), bytes, c.send_ov) ? 0 : ::WSAGetLastError();
    }

    void cancel(CompletionConn& base, Cancel which) override {
        auto& c = static_cast<OvConn&>(base);
        win::cancel(c.conn->socket(), which == Cancel::Both ? nullptr : &c.recv_ov);
    }

    void forget(CompletionConn& base) override {
        auto& c = static_cast<OvConn&>(base);
        c.group->drop(c);  // freed once the group's scan is over
    }

    // ---- acceptor thread ----

    void accept_loop() {
        auto owned = std::make_unique<win::EventAccepts>(listeners_);
        win::EventAccepts& accepts = *owned;
        std::vector<WSAEVENT> events{stop_event_};
        events.insert(events.end(), accepts.events().begin(), accepts.events().end());
        auto accepted = [this](SOCKET s, std::string peer) {
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer)))
                groups_.place(std::move(conn), true);
        };
        count_syscalls(accepts.post_all());
        for (;;) {
            const DWORD r = ::WSAWaitForMultipleEvents(static_cast<DWORD>(events.size()),
                                                       events.data(), FALSE, WSA_INFINITE, FALSE);
            count_wakeup();
            if (r == WSA_WAIT_EVENT_0 || r == WSA_WAIT_FAILED) break;
            count_events(accepts.collect(true, accepted));
            count_syscalls(accepts.post_all());
        }
        // Stopping: what is posted is cancelled, and each completion awaited before it goes;
        // one that never comes (StopClock's wait) leaves the accepts leaked, never freed.
        if (!accepts.cancel_and_wait(accepted,
                                     static_cast<DWORD>(StopClock::kCancelWait.count()))) {
            spdlog::error(
                "overlapped_event: a cancelled AcceptEx did not complete in {} ms; its "
                "buffers are leaked (the system may still write into them)",
                StopClock::kCancelWait.count());
            (void)owned.release();
        }
    }

    // ---- group threads ----

    void group_loop(Group& g) {
        StopClock clock;
        for (;;) {
            auto inbox = g.take_inbox();
            for (auto& [conn, needs_open] : inbox.incoming) take(g, std::move(conn), needs_open);
            for (auto id : inbox.woken)
                if (OvConn* c = g.find(id)) woken(*c);
            collect_all(g);

            if (inbox.quit) {
                // Drain: no new posts; receives cancelled now, sends after a grace.
                const bool sends_too = clock.sends_due();
                bool busy = false;
                for (std::size_t i = 1; i < g.size(); ++i) {
                    OvConn& c = g.at(i);
                    drain(c, sends_too);
                    busy = busy || c.in_flight();
                }
                if (busy && clock.given_up()) {
                    give_up(g);
                    busy = false;
                }
                if (!busy) return g.release_all([](OvConn&) {});  // nothing in flight any more
            }

            const DWORD n = static_cast<DWORD>(g.events.size());
            const DWORD timeout = g.has_dirty() ? 0 : inbox.quit ? 20 : WSA_INFINITE;
            const DWORD r = ::WSAWaitForMultipleEvents(n, g.events.data(), FALSE, timeout, FALSE);
            count_wakeup();
            count_syscalls(1);
            if (r == WSA_WAIT_FAILED) ::Sleep(1);
        }
    }

    // The stop clock gave up: connections with operations still out are closed, and leaked
    // with their OVERLAPPEDs and event (see abandon()); the others are handed back.
    void give_up(Group& g) {
        for (std::size_t i = 1; i < g.size(); ++i)
            if (OvConn& c = g.at(i); c.in_flight()) {
                abandon(c);
                g.abandon(c);
            }
        g.compact();
        report_abandoned();
    }

    void take(Group& g, ConnectionPtr conn, bool needs_open) {
        auto owned = std::make_unique<OvConn>();
        OvConn& c = *owned;
        c.conn = std::move(conn);
        c.group = &g;
        c.recv_ov.hEvent = win::event_without_port(c.event);
        c.send_ov.hEvent = c.recv_ov.hEvent;
        g.add(std::move(owned));
        open(c, needs_open);
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
                if (c.receiving && win::completed(c.recv_ov))
                    receive_ready(c, collect(c, c.recv_ov));
                if (!c.dead && c.sending && win::completed(c.send_ov)) {
                    DWORD bytes = 0;
                    const bool ok = collect(c, c.send_ov, &bytes);
                    sent(c, bytes, !ok);  // cancelled: what went out before
                }
            }
        }
        g.compact();
    }

    bool collect(OvConn& c, OVERLAPPED& ov, DWORD* bytes = nullptr) {
        DWORD n = 0;
        const bool ok = win::collect(c.conn->socket(), ov, n);
        if (bytes) *bytes = n;
        count_events(1);
        count_syscalls(1);  // WSAGetOverlappedResult
        return ok;
    }

    Listeners listeners_;
    WSAEVENT stop_event_ = WSA_INVALID_EVENT;
    std::thread acceptor_;

    win::WaitGroupList groups_{std::type_identity<Group>{}, [this](Group& g) { group_loop(g); }};
};

}  // namespace

std::unique_ptr<Engine> make_overlapped_event_engine() {
    return std::make_unique<OverlappedEventEngine>();
}

}  // namespace netcore
