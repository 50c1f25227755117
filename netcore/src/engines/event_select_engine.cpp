// event_select: WSAEventSelect ties each socket to an event object; WSAWaitForMultipleEvents
// sleeps until one is signalled and WSAEnumNetworkEvents says what happened (and resets it).
// Readiness, like select, but nothing is rebuilt per call.
//
// - One wait covers at most 64 handles (WSA_MAXIMUM_WAIT_EVENTS). Sockets are spread over
//   groups of up to 63, each with its own waiting thread and one wake-up event (index 0).
//   A group's thread owns its sockets: only it reads, writes, opens and closes them, so the
//   handler calls of one connection never overlap. An acceptor thread waits on the listener.
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
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"

namespace netcore {
namespace {

constexpr std::size_t kPerGroup = WSA_MAXIMUM_WAIT_EVENTS - 1;  // 63 sockets + the wake-up
constexpr long kSocketEvents = FD_READ | FD_WRITE | FD_CLOSE;

class EventSelectEngine;

struct Group;

struct Slot {
    ConnectionPtr conn;
    WSAEVENT event = WSA_INVALID_EVENT;
    Group* group = nullptr;
    bool dead = false;
};

struct Group {
    WSAEVENT wake = ::WSACreateEvent();
    std::thread thread;
    std::atomic<std::size_t> load{0};  // sockets placed here, including those not yet taken

    std::mutex m;                                          // guards the three hand-over fields
    std::vector<std::pair<ConnectionPtr, bool>> incoming;  // bool: host must be told it opened
    std::vector<std::uint64_t> woken;
    bool quit = false;

    // The group thread's own state.
    std::vector<WSAEVENT> events;              // [0] is `wake`, then one per slot
    std::vector<std::unique_ptr<Slot>> slots;  // parallel to events; [0] is empty
    std::unordered_map<std::uint64_t, Slot*> by_id;
    std::vector<std::uint64_t> carry;  // read budget reached, input may remain
    std::vector<ConnectionPtr> handed_back;

    ~Group() { ::WSACloseEvent(wake); }
};

class EventSelectEngine final : public Engine {
  public:
    std::string_view name() const override { return "event_select"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        stop_event_ = ::WSACreateEvent();
        listen_event_ = ::WSACreateEvent();
        for (auto& conn : adopted) place(std::move(conn), false);
        if (listener_ == kInvalidSocket) return;  // a client: connections come by adopt()
        if (::WSAEventSelect(listener_, listen_event_, FD_ACCEPT) != 0)
            throw std::runtime_error("event_select: WSAEventSelect on the listener failed");
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    std::vector<ConnectionPtr> stop() override {
        ::WSASetEvent(stop_event_);
        if (acceptor_.joinable()) acceptor_.join();
        if (listener_ != kInvalidSocket) ::WSAEventSelect(listener_, nullptr, 0);
        ::WSACloseEvent(listen_event_);
        ::WSACloseEvent(stop_event_);
        std::vector<std::unique_ptr<Group>> groups;
        {
            std::lock_guard lock(mutex_);
            groups.swap(groups_);
        }
        for (auto& g : groups) {
            {
                std::lock_guard lock(g->m);
                g->quit = true;
            }
            ::WSASetEvent(g->wake);
        }
        std::vector<ConnectionPtr> out;
        for (auto& g : groups) {
            g->thread.join();
            for (auto& c : g->handed_back) out.push_back(std::move(c));
        }
        return out;
    }

    void adopt(ConnectionPtr conn) override { place(std::move(conn), true); }

    void wake(Connection& conn) override {
        auto* slot = static_cast<Slot*>(conn.engine_slot);
        if (!slot || conn.flush_scheduled.exchange(true)) return;
        Group& g = *slot->group;
        {
            std::lock_guard lock(g.m);
            g.woken.push_back(conn.id());
        }
        ::WSASetEvent(g.wake);
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "event_select";
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        std::string per_group;
        std::size_t total = 0, groups = 0;
        {
            std::lock_guard lock(mutex_);
            groups = groups_.size();
            for (const auto& g : groups_) {
                const std::size_t n = g->load.load();
                total += n;
                if (!per_group.empty()) per_group += ' ';
                per_group += std::to_string(n);
            }
        }
        s.threads = groups + 1;
        s.details = {{"wait groups", std::to_string(groups)},
                     {"sockets per wait group (max 63)", per_group.empty() ? "-" : per_group},
                     {"sockets", std::to_string(total)},
                     {"threads", "1 acceptor + 1 per group"}};
        return s;
    }

  private:
    // Gives a connection to the first group with room, starting a new group when all are full.
    void place(ConnectionPtr conn, bool needs_open) {
        Group* target = nullptr;
        {
            std::lock_guard lock(mutex_);
            for (auto& g : groups_)
                if (g->load.load() < kPerGroup) {
                    target = g.get();
                    break;
                }
            if (!target) {
                groups_.push_back(std::make_unique<Group>());
                target = groups_.back().get();
                target->events.push_back(target->wake);
                target->slots.emplace_back();
                target->thread = std::thread([this, target] { group_loop(*target); });
            }
            ++target->load;
        }
        {
            std::lock_guard lock(target->m);
            target->incoming.emplace_back(std::move(conn), needs_open);
        }
        ::WSASetEvent(target->wake);
    }

    void accept_loop() {
        WSAEVENT events[2] = {stop_event_, listen_event_};
        bool more = false;  // the last batch stopped at its limit: accept again without waiting
        for (;;) {
            const DWORD r =
                ::WSAWaitForMultipleEvents(2, events, FALSE, more ? 0 : WSA_INFINITE, FALSE);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            if (r == WSA_WAIT_EVENT_0 || r == WSA_WAIT_FAILED) return;
            WSANETWORKEVENTS ne{};
            ::WSAEnumNetworkEvents(listener_, listen_event_, &ne);
            syscalls_.fetch_add(2, std::memory_order_relaxed);
            if (more || (ne.lNetworkEvents & FD_ACCEPT)) more = accept_some();
        }
    }

    // FD_ACCEPT is re-enabled by accept(): take what is pending, up to a batch. True when the
    // batch was full (more may wait: do not count on a new FD_ACCEPT for them).
    bool accept_some() {
        for (int i = 0; i < 256; ++i) {
            std::string peer;
            const socket_t s = accept_nonblocking(listener_, peer);
            syscalls_.fetch_add(1, std::memory_order_relaxed);
            if (s == kInvalidSocket) {
                const int err = last_socket_error();
                if (is_out_of_descriptors(err) && shed_pending_connection(listener_)) continue;
                if (is_transient_accept_error(err)) continue;
                return false;
            }
            events_.fetch_add(1, std::memory_order_relaxed);
            // The group thread tells the host it opened, so on_open precedes on_data.
            if (ConnectionPtr conn = host_->make_connection(s, std::move(peer)))
                place(std::move(conn), true);
        }
        return true;
    }

    void group_loop(Group& g) {
        for (;;) {
            ::WSAResetEvent(g.wake);  // before taking the queues, so no wake-up is lost
            std::vector<std::pair<ConnectionPtr, bool>> incoming;
            std::vector<std::uint64_t> woken;
            bool quit;
            {
                std::lock_guard lock(g.m);
                incoming.swap(g.incoming);
                woken.swap(g.woken);
                quit = g.quit;
            }
            for (auto& [conn, needs_open] : incoming) take(g, std::move(conn), needs_open);
            for (auto id : woken)
                if (auto it = g.by_id.find(id); it != g.by_id.end())
                    serve(*it->second, false, false);
            std::vector<std::uint64_t> carried;
            carried.swap(g.carry);
            for (auto id : carried)
                if (auto it = g.by_id.find(id); it != g.by_id.end())
                    serve(*it->second, true, false);
            compact(g);
            if (quit) return release_all(g);

            const DWORD n = static_cast<DWORD>(g.events.size());
            const DWORD r = ::WSAWaitForMultipleEvents(n, g.events.data(), FALSE,
                                                       g.carry.empty() ? WSA_INFINITE : 0, FALSE);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t calls = 1;
            if (r >= WSA_WAIT_EVENT_0 + n) {
                if (r == WSA_WAIT_FAILED) ::Sleep(1);
                syscalls_.fetch_add(calls, std::memory_order_relaxed);
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
                Slot& slot = *g.slots[i];
                WSANETWORKEVENTS ne{};
                ++calls;
                if (::WSAEnumNetworkEvents(slot.conn->socket(), slot.event, &ne) != 0) {
                    close(slot, CloseReason::Reset);
                    continue;
                }
                events_.fetch_add(1, std::memory_order_relaxed);
                const long ev = ne.lNetworkEvents;
                calls += serve(slot, (ev & (FD_READ | FD_CLOSE)) != 0, (ev & FD_WRITE) != 0);
            }
            syscalls_.fetch_add(calls, std::memory_order_relaxed);
        }
    }

    void take(Group& g, ConnectionPtr conn, bool needs_open) {
        auto slot = std::make_unique<Slot>();
        slot->conn = conn;
        slot->group = &g;
        slot->event = ::WSACreateEvent();
        conn->engine_slot = slot.get();
        if (needs_open) host_->connection_opened(conn);
        Slot* raw = slot.get();
        g.events.push_back(slot->event);
        g.slots.push_back(std::move(slot));
        g.by_id.emplace(conn->id(), raw);
        // Registration posts FD_WRITE, and FD_READ if input is already waiting.
        if (::WSAEventSelect(conn->socket(), raw->event, kSocketEvents) != 0) {
            close(*raw, CloseReason::Reset);
            return;
        }
        conn->attach(this);
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
            conn.input_paused = r.paused;
        }
        if (writable || conn.flush_scheduled.load()) {
            conn.flush_scheduled.store(false);
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.failed) return calls + close(slot, CloseReason::Reset);
            // Reading was put off for backpressure without a recv, so FD_READ stays off:
            // resume by hand once the output has drained.
            if (conn.input_paused && !conn.output_backlogged()) {
                conn.input_paused = false;
                slot.group->carry.push_back(conn.id());
            }
        }
        if (conn.must_finalize()) calls += close(slot, CloseReason::PeerClosed);
        return calls;
    }

    std::uint64_t close(Slot& slot, CloseReason observed) {
        if (slot.dead) return 0;
        slot.dead = true;
        slot.group->by_id.erase(slot.conn->id());
        finalize_connection(*slot.conn, *host_, observed);  // closesocket ends the selection
        slot.conn->engine_slot = nullptr;
        --slot.group->load;
        return 1;
    }

    // Drops closed slots from the wait arrays (outside the scan, so indexes stay valid).
    void compact(Group& g) {
        std::size_t out = 1;
        for (std::size_t i = 1; i < g.slots.size(); ++i) {
            if (g.slots[i]->dead) {
                ::WSACloseEvent(g.slots[i]->event);
                continue;
            }
            g.slots[out] = std::move(g.slots[i]);
            g.events[out] = g.events[i];
            ++out;
        }
        g.slots.resize(out);
        g.events.resize(out);
    }

    void release_all(Group& g) {
        for (std::size_t i = 1; i < g.slots.size(); ++i) {
            Slot& slot = *g.slots[i];
            ::WSAEventSelect(slot.conn->socket(), nullptr, 0);  // stays non-blocking
            ::WSACloseEvent(slot.event);
            slot.conn->detach();
            g.handed_back.push_back(std::move(slot.conn));
        }
        g.slots.resize(1);
        g.events.resize(1);
        g.by_id.clear();
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    WSAEVENT stop_event_ = WSA_INVALID_EVENT;
    WSAEVENT listen_event_ = WSA_INVALID_EVENT;
    std::thread acceptor_;

    mutable std::mutex mutex_;  // guards groups_ (the list, not the groups' contents)
    std::vector<std::unique_ptr<Group>> groups_;

    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0};
};

}  // namespace

std::unique_ptr<Engine> make_event_select_engine() {
    return std::make_unique<EventSelectEngine>();
}

}  // namespace netcore
