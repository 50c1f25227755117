// event_select: WSAEventSelect ties each socket to an event object; WSAWaitForMultipleEvents
// sleeps until one is signalled and WSAEnumNetworkEvents says what happened (and resets it).
// Readiness, like select, but nothing is rebuilt per call.
//
// - One wait covers at most 64 handles (WSA_MAXIMUM_WAIT_EVENTS). Sockets are spread over
//   groups of up to 63, each with its own waiting thread and one wake-up event (index 0).
//   A group's thread owns its sockets: only it reads, writes, opens and closes them, so the
//   handler calls of one connection never overlap. An acceptor thread waits on the listeners.
// - The wait reports the lowest signalled index only. After it returns i, every event after
//   i is tested too (a zero-timeout wait each), so high indexes are not starved.
// - FD_READ and FD_WRITE are re-enabled only by recv and send. Reads go until WSAEWOULDBLOCK
//   or a budget; a connection stopped by the budget is carried to the next round. FD_WRITE
//   comes once on registration and then only after a send hit WSAEWOULDBLOCK, which is the
//   only time this engine waits for it.
// - FD_CLOSE may come with data still unread: it is read to the end before the close.
// - stop(): WSAEventSelect(s, nullptr, 0) releases each socket (it stays non-blocking).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine_counters.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "win_wait_groups.hpp"

namespace netcore {
namespace {

constexpr long kSocketEvents = FD_READ | FD_WRITE | FD_CLOSE;
constexpr DWORD kAcceptRecheckMs = 50;

struct Group;

struct Slot {
    ConnectionPtr conn;
    WSAEVENT event = ::WSACreateEvent();
    Group* group = nullptr;
    bool dead = false;
    bool paused = false;  // backpressure: reading put off without a recv, so FD_READ stays off
    ~Slot() { ::WSACloseEvent(event); }
};

struct Group : win::WaitGroup<Slot> {
    std::vector<std::uint64_t> carry;  // read budget reached, input may remain
};

class EventSelectEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "event_select"; }

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listeners_ = listeners;
        stop_event_ = ::WSACreateEvent();
        listen_event_ = ::WSACreateEvent();
        win::StopUnlessStarted guard(*this);
        for (auto& conn : adopted) groups_.place(std::move(conn), false);
        if (!listeners_.empty()) {  // a client has none: connections come by adopt()
            // One event for every listener (an event may stand for several sockets): the
            // acceptor asks each which has FD_ACCEPT.
            for (socket_t listener : listeners_)
                if (::WSAEventSelect(listener, listen_event_, FD_ACCEPT) != 0)
                    throw std::runtime_error("event_select: WSAEventSelect on a listener failed");
            acceptor_ = std::thread([this] { accept_loop(); });
        }
        guard.started();
    }

    std::vector<ConnectionPtr> stop() override {
        ::WSASetEvent(stop_event_);
        if (acceptor_.joinable()) acceptor_.join();
        for (socket_t listener : listeners_) ::WSAEventSelect(listener, nullptr, 0);
        ::WSACloseEvent(listen_event_);
        ::WSACloseEvent(stop_event_);
        return groups_.stop(*host_);
    }

    void adopt(ConnectionPtr conn) override { groups_.place(std::move(conn), true); }

    EngineStats stats() const override {
        EngineStats s = counters_.snapshot("event_select", 1);  // the acceptor, + the groups':
        groups_.describe(s);
        s.details.emplace_back("threads", "1 acceptor + 1 per group");
        return s;
    }

  private:
    void wake(Connection& conn) override { Group::wake(conn); }
    bool owns_io(const Connection& conn) const override { return Group::owns_io(conn); }

    void accept_loop() {
        WSAEVENT events[2] = {stop_event_, listen_event_};
        // Per listener: its last batch stopped at its limit, accept again without waiting.
        std::vector<bool> more(listeners_.size(), false);
        for (;;) {
            // Never an endless wait: under connection churn Wine 8 can leave FD_ACCEPT off
            // after accept() said WSAEWOULDBLOCK, and the listener would go deaf. A quiet
            // period re-checks with one accept() (WSAEWOULDBLOCK when nothing waits).
            const bool busy = std::find(more.begin(), more.end(), true) != more.end();
            const DWORD r =
                ::WSAWaitForMultipleEvents(2, events, FALSE, busy ? 0 : kAcceptRecheckMs, FALSE);
            counters_.wakeup();
            if (r == WSA_WAIT_EVENT_0 || r == WSA_WAIT_FAILED) return;
            // The event stands for every listener: reset it once, then ask each (its FD_ACCEPT
            // is recorded per socket); one that comes meanwhile sets the event again.
            ::WSAResetEvent(listen_event_);
            counters_.syscalls(1 + listeners_.size());
            for (std::size_t i = 0; i < listeners_.size(); ++i) {
                WSANETWORKEVENTS ne{};
                ::WSAEnumNetworkEvents(listeners_[i], nullptr, &ne);
                if (more[i] || r == WSA_WAIT_TIMEOUT || (ne.lNetworkEvents & FD_ACCEPT))
                    more[i] = accept_some(listeners_[i]);
            }
        }
    }

    // FD_ACCEPT is re-enabled by accept(): take what is pending, up to a batch. True when the
    // batch was full (more may wait: do not count on a new FD_ACCEPT for them).
    bool accept_some(socket_t listener) {
        for (int i = 0; i < 256; ++i) {
            std::string peer;
            const socket_t s = accept_nonblocking(listener, peer);
            counters_.syscalls(1);
            if (s == kInvalidSocket) {
                const int err = last_socket_error();
                if (is_out_of_descriptors(err) && shed_pending_connection(listener, *host_))
                    continue;
                if (is_transient_accept_error(err)) continue;
                return false;
            }
            counters_.events(1);
            // The group thread tells the host it opened, so on_open precedes on_data.
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer)))
                groups_.place(std::move(conn), true);
        }
        return true;
    }

    void group_loop(Group& g) {
        for (;;) {
            auto inbox = g.take_inbox();
            for (auto& [conn, needs_open] : inbox.incoming) take(g, std::move(conn), needs_open);
            for (auto id : inbox.woken)
                if (Slot* slot = g.find(id)) serve(*slot, false, false);
            std::vector<std::uint64_t> carried;
            carried.swap(g.carry);
            for (auto id : carried)
                if (Slot* slot = g.find(id)) serve(*slot, true, false);
            g.compact();  // outside the scan, so indexes stay valid during it
            if (inbox.quit) return release_all(g);

            const DWORD n = static_cast<DWORD>(g.events.size());
            const DWORD timeout = g.carry.empty() && !g.has_dirty() ? WSA_INFINITE : 0;
            const DWORD r = ::WSAWaitForMultipleEvents(n, g.events.data(), FALSE, timeout, FALSE);
            counters_.wakeup();
            std::uint64_t calls = 1;
            if (r >= WSA_WAIT_EVENT_0 + n) {
                if (r == WSA_WAIT_FAILED) ::Sleep(1);
                counters_.syscalls(calls);
                continue;
            }
            // Fairness: the wait names the lowest signalled index; test all after it as well.
            const DWORD first = r - WSA_WAIT_EVENT_0;
            for (DWORD i = std::max<DWORD>(first, 1); i < n; ++i) {
                if (i != first) {
                    ++calls;
                    if (::WSAWaitForMultipleEvents(1, &g.events[i], TRUE, 0, FALSE) !=
                        WSA_WAIT_EVENT_0)
                        continue;
                }
                Slot& slot = g.at(i);
                WSANETWORKEVENTS ne{};
                ++calls;
                if (::WSAEnumNetworkEvents(slot.conn->socket(), slot.event, &ne) != 0) {
                    close(slot, CloseReason::Reset);
                    continue;
                }
                counters_.events(1);
                const long ev = ne.lNetworkEvents;
                calls += serve(slot, (ev & (FD_READ | FD_CLOSE)) != 0, (ev & FD_WRITE) != 0);
            }
            counters_.syscalls(calls);
        }
    }

    void take(Group& g, ConnectionPtr conn, bool needs_open) {
        auto owned = std::make_unique<Slot>();
        owned->conn = conn;
        owned->group = &g;
        Slot* raw = &g.add(std::move(owned));
        // Registration posts FD_WRITE, and FD_READ if input is already waiting.
        if (::WSAEventSelect(conn->socket(), raw->event, kSocketEvents) != 0) {
            if (needs_open) host_->connection_opened(conn);  // on_open, then on_close
            close(*raw, CloseReason::Reset);
            return;
        }
        EngineSlot::attach(*conn, this, raw);  // before on_open: the handler may send at once
        if (needs_open) host_->connection_opened(conn);
        // Input that arrived before the registration: reading to WSAEWOULDBLOCK now also
        // re-arms FD_READ, whatever the provider recorded meanwhile.
        serve(*raw, true, false);
    }

    // Reads and writes one connection; returns the socket calls made.
    std::uint64_t serve(Slot& slot, bool readable, bool writable) {
        if (slot.dead) return 0;
        Connection& conn = *slot.conn;
        std::uint64_t calls = 0;
        if (readable) {
            const auto r = read_available(conn, host_->handler(), read_scratch());
            calls += r.calls;
            if (r.failed) return calls + close(slot, CloseReason::Reset);
            if (r.more) slot.group->carry.push_back(conn.id());
            slot.paused = r.paused;
        }
        if (EngineSlot::take_flush(conn) || writable) {
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.failed) return calls + close(slot, CloseReason::Reset);
            // Reading was put off for backpressure without a recv, so FD_READ stays off:
            // resume by hand once the output has drained.
            if (slot.paused && !conn.output_backlogged()) {
                slot.paused = false;
                slot.group->carry.push_back(conn.id());
            }
        }
        if (conn.must_finalize()) calls += close(slot, CloseReason::PeerClosed);
        return calls;
    }

    std::uint64_t close(Slot& slot, CloseReason observed) {
        if (slot.dead) return 0;
        slot.group->drop(slot);
        finalize_connection(*slot.conn, *host_, observed);  // closesocket ends the selection
        return 1;
    }

    void release_all(Group& g) {
        g.release_all([](Slot& slot) {
            ::WSAEventSelect(slot.conn->socket(), nullptr, 0);  // stays non-blocking
        });
    }

    EngineHost* host_ = nullptr;
    Listeners listeners_;
    WSAEVENT stop_event_ = WSA_INVALID_EVENT;
    WSAEVENT listen_event_ = WSA_INVALID_EVENT;
    std::thread acceptor_;

    win::WaitGroupList groups_{std::type_identity<Group>{}, [this](Group& g) { group_loop(g); }};

    EngineCounters counters_;
};

}  // namespace

std::unique_ptr<Engine> make_event_select_engine() {
    return std::make_unique<EventSelectEngine>();
}

}  // namespace netcore
