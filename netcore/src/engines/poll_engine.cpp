// poll: the interest set is an array of pollfd the program keeps and hands to the kernel on
// every call; the kernel and then the loop scan all of it (O(n) per wakeup), but unlike
// select there is no FD_SETSIZE ceiling. Level-triggered: a socket with input left over is
// simply reported again, and POLLOUT is asked for only while output is stuck. One loop
// thread; other threads wake it with an eventfd.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "loop_wakeups.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"

namespace netcore {
namespace {

class PollEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "poll"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wakefd_ < 0) throw std::runtime_error("poll: cannot create eventfd");
        fds_ = {pollfd{listener_, POLLIN, 0}, pollfd{wakefd_, POLLIN, 0}};
        for (auto& conn : adopted) add(conn);
        stopping_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    std::vector<ConnectionPtr> stop() override {
        stopping_ = true;
        signal_wakefd();
        if (thread_.joinable()) thread_.join();
        std::vector<ConnectionPtr> out;
        for (auto& conn : owners_) {
            EngineSlot::detach(*conn);
            out.push_back(std::move(conn));
        }
        owners_.clear();
        index_.clear();
        fds_.clear();
        ::close(wakefd_);
        loop_.hand_on_adopted(*host_, out);
        return out;
    }

    void adopt(ConnectionPtr conn) override {
        if (loop_.adopt(std::move(conn))) signal_wakefd();
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "poll";
        s.threads = 1;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        const auto per_wakeup = [&s](std::uint64_t total) {
            return std::to_string(
                s.wakeups ? static_cast<double>(total) / static_cast<double>(s.wakeups) : 0.0);
        };
        s.details = {{"registered sockets", std::to_string(registered_.load())},
                     {"pollfd entries", std::to_string(registered_.load() + 2)},
                     {"sockets scanned per wakeup", per_wakeup(scanned_.load())},
                     {"entries checked by the loop per wakeup", per_wakeup(checked_.load())},
                     {"trigger", "level; POLLOUT only while output is pending"}};
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (loop_.wake(conn)) signal_wakefd();
    }
    bool owns_io(const Connection&) const override { return loop_.on_loop_thread(); }

    static constexpr std::size_t kFirstConn = 2;  // fds_[0] listener, fds_[1] eventfd

    void add(const ConnectionPtr& conn) {
        index_.emplace(conn->id(), fds_.size());
        // A connection handed over after the peer's FIN must not be polled for input.
        const short events = conn->peer_has_finished() ? 0 : POLLIN;
        fds_.push_back(pollfd{conn->socket(), events, 0});
        owners_.push_back(conn);
        registered_.store(owners_.size(), std::memory_order_relaxed);
        EngineSlot::attach(*conn, this);
    }

    // Swap-and-pop keeps the array dense; the moved entry's index is updated.
    void remove(std::uint64_t id) {
        auto it = index_.find(id);
        if (it == index_.end()) return;
        const std::size_t pos = it->second;
        const std::size_t last = fds_.size() - 1;
        index_.erase(it);
        if (pos != last) {
            fds_[pos] = fds_[last];
            owners_[pos - kFirstConn] = std::move(owners_[last - kFirstConn]);
            index_[owners_[pos - kFirstConn]->id()] = pos;
        }
        fds_.pop_back();
        owners_.pop_back();
        registered_.store(owners_.size(), std::memory_order_relaxed);
    }

    void signal_wakefd() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
    }

    void loop() {
        loop_.enter_loop();
        struct Ready {
            ConnectionPtr conn;  // owned here: serving one may close and remove another
            short revents;
        };
        std::vector<Ready> ready;
        while (!stopping_) {
            const int n = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), -1);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t calls = 1;
            if (n < 0) {
                syscalls_.fetch_add(calls, std::memory_order_relaxed);
                continue;  // EINTR; nothing else is expected from a valid array
            }
            // poll() marks ready entries in place: finding them means walking the array.
            bool accept_ready = false;
            int found = 0;
            std::size_t i = 0;
            for (; i < fds_.size() && found < n; ++i) {
                const short rev = fds_[i].revents;
                if (rev == 0) continue;
                ++found;
                if (i == 0) {
                    accept_ready = true;
                } else if (i == 1) {
                    take_remote_wakes();
                } else {
                    ready.push_back({owners_[i - kFirstConn], rev});
                }
            }
            scanned_.fetch_add(fds_.size(), std::memory_order_relaxed);  // the kernel walks all
            checked_.fetch_add(i, std::memory_order_relaxed);  // we stop after the n-th ready one
            events_.fetch_add(static_cast<std::uint64_t>(found), std::memory_order_relaxed);
            for (auto& r : ready) calls += serve(*r.conn, r.revents);
            ready.clear();
            if (accept_ready) {
                calls += accept_pending(listener_, *host_, 256, [this](const ConnectionPtr& c) {
                             add(c);
                         }).calls;
            }
            calls += serve_dirty();
            syscalls_.fetch_add(calls, std::memory_order_relaxed);
        }
        loop_.leave_loop();
    }

    // Reads and writes one connection after poll() reported `revents`; returns socket calls.
    std::uint64_t serve(Connection& conn, short revents) {
        if (conn.phase() == Connection::Phase::Closed) return 0;
        std::uint64_t calls = 0;
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
            // Level-triggered: past the read budget, or after a short read, poll() reports
            // the socket again if anything (input or the FIN) is left.
            const auto r = read_available(conn, host_->handler(), read_scratch(), kReadBudget,
                                          ReadUntil::ShortRead);
            calls += r.calls;
            if (r.failed) return calls + close(conn, CloseReason::Reset);
        }
        bool flushed = false, blocked = false;
        if (EngineSlot::take_flush(conn) || (revents & POLLOUT)) {
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.failed) return calls + close(conn, CloseReason::Reset);
            flushed = true;
            blocked = w.blocked;
        }
        if (conn.must_finalize()) return calls + close(conn, CloseReason::PeerClosed);
        update_interest(conn, flushed, blocked);
        return calls;
    }

    // After the peer's FIN the socket stays readable for good: stop asking, or poll() spins.
    void update_interest(Connection& conn, bool flushed, bool blocked) {
        auto it = index_.find(conn.id());
        if (it == index_.end()) return;
        pollfd& p = fds_[it->second];
        short events = flushed ? (blocked ? POLLOUT : 0) : static_cast<short>(p.events & POLLOUT);
        // Backpressure: no input wanted while the peer's own answers are backlogged.
        if (!conn.peer_has_finished() && !conn.output_backlogged()) events |= POLLIN;
        p.events = events;
    }

    std::uint64_t serve_dirty() {
        return loop_.serve_dirty(
            [this](std::uint64_t id) {
                auto it = index_.find(id);
                return it == index_.end() ? nullptr : owners_[it->second - kFirstConn];
            },
            [this](Connection& c) { return serve(c, 0); });
    }

    void take_remote_wakes() {
        std::uint64_t drained;
        [[maybe_unused]] auto n = ::read(wakefd_, &drained, sizeof drained);
        for (auto& conn : loop_.take_inbox()) {
            add(conn);
            host_->connection_opened(conn);
        }
    }

    std::uint64_t close(Connection& conn, CloseReason observed) {
        remove(conn.id());
        finalize_connection(conn, *host_, observed);
        return 1;
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    int wakefd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread thread_;

    // Loop thread only. fds_[kFirstConn + i] belongs to owners_[i].
    std::vector<pollfd> fds_;
    std::vector<ConnectionPtr> owners_;
    std::unordered_map<std::uint64_t, std::size_t> index_;  // connection id -> fds_ position

    LoopWakeups loop_;  // output woken on the loop thread and from others

    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, registered_{0};
    std::atomic<std::uint64_t> scanned_{0}, checked_{0};
};

}  // namespace

std::unique_ptr<Engine> make_poll_engine() {
    return std::make_unique<PollEngine>();
}

}  // namespace netcore
