// epoll: the kernel keeps the interest set, and epoll_wait returns only the ready sockets.
// Edge-triggered: every event is read (or written) until EAGAIN, and each socket is
// registered once for in and out. One loop thread; other threads wake it with an eventfd.
#include <sys/epoll.h>
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

class EpollEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "epoll"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epfd_ < 0 || wakefd_ < 0)
            throw std::runtime_error("epoll: cannot create epoll/eventfd");
        if (listener_ != kInvalidSocket) watch(listener_, EPOLLIN, &listener_tag_);
        watch(wakefd_, EPOLLIN, &wake_tag_);
        for (auto& conn : adopted) add(conn);
        stopping_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    std::vector<ConnectionPtr> stop() override {
        stopping_ = true;
        signal_wakefd();
        if (thread_.joinable()) thread_.join();
        std::vector<ConnectionPtr> out;
        for (auto& [id, entry] : conns_) {
            ::epoll_ctl(epfd_, EPOLL_CTL_DEL, entry->conn->socket(), nullptr);
            EngineSlot::detach(*entry->conn);
            out.push_back(std::move(entry->conn));
        }
        conns_.clear();
        if (listener_ != kInvalidSocket) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, listener_, nullptr);
        loop_.hand_on_adopted(*host_, out);
        ::close(epfd_);
        ::close(wakefd_);
        return out;
    }

    void adopt(ConnectionPtr conn) override {
        if (loop_.adopt(std::move(conn))) signal_wakefd();
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "epoll";
        s.threads = 1;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        s.details = {{"registered sockets", std::to_string(registered_.load())},
                     {"trigger", "edge (EPOLLET)"}};
        return s;
    }

  private:
    // A registered connection; the epoll tag points here. Loop thread only.
    struct Entry {
        ConnectionPtr conn;
        bool paused = false;  // backpressure: its input edge was spent without a read
    };

    void wake(Connection& conn) override {
        if (loop_.wake(conn)) signal_wakefd();
    }
    bool owns_io(const Connection&) const override { return loop_.on_loop_thread(); }

    void watch(int fd, std::uint32_t events, void* tag) {
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = tag;
        ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }

    void add(const ConnectionPtr& conn) {
        auto entry = std::make_unique<Entry>(Entry{conn});
        watch(conn->socket(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, entry.get());
        conns_.emplace(conn->id(), std::move(entry));
        registered_.store(conns_.size(), std::memory_order_relaxed);
        EngineSlot::attach(*conn, this);
    }

    void signal_wakefd() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
    }

    void loop() {
        loop_.enter_loop();
        std::vector<epoll_event> events(512);
        while (!stopping_) {
            const int timeout = carry_.empty() ? -1 : 0;
            const int n =
                ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t calls = 1;
            for (int i = 0; i < n; ++i) {
                void* tag = events[i].data.ptr;
                if (tag == &listener_tag_) {
                    calls += accept_pending(listener_, *host_, 256, [this](const ConnectionPtr& c) {
                                 add(c);
                             }).calls;
                } else if (tag == &wake_tag_) {
                    take_remote_wakes();
                } else {
                    auto& entry = *static_cast<Entry*>(tag);
                    const auto ev = events[i].events;
                    // A FIN or an error comes as one edge: then read to the end.
                    const bool final_edge = (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
                    calls += serve(entry, final_edge || (ev & EPOLLIN) != 0, (ev & EPOLLOUT) != 0,
                                   final_edge ? ReadUntil::WouldBlock : ReadUntil::ShortRead);
                }
            }
            events_.fetch_add(n > 0 ? n : 0, std::memory_order_relaxed);
            calls += serve_backlog();
            syscalls_.fetch_add(calls, std::memory_order_relaxed);
            graveyard_.clear();
        }
        loop_.leave_loop();
    }

    // Reads and writes one connection; returns the socket calls made.
    std::uint64_t serve(Entry& entry, bool readable, bool writable,
                        ReadUntil until = ReadUntil::WouldBlock) {
        Connection& conn = *entry.conn;
        if (conn.phase() == Connection::Phase::Closed) return 0;
        std::uint64_t calls = 0;
        if (readable) {
            const auto r =
                read_available(conn, host_->handler(), read_scratch(), kReadBudget, until);
            calls += r.calls;
            if (r.failed) return calls + close(conn, CloseReason::Reset);
            if (r.more) carry_.push_back(conn.id());
            entry.paused = r.paused;
        }
        if (EngineSlot::take_flush(conn) || writable) {
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.failed) return calls + close(conn, CloseReason::Reset);
            // Edge-triggered: the input edge was spent while paused, so resume by hand.
            if (entry.paused && !conn.output_backlogged()) {
                entry.paused = false;
                carry_.push_back(conn.id());
            }
        }
        if (conn.must_finalize()) calls += close(conn, CloseReason::PeerClosed);
        return calls;
    }

    // Connections woken for output, and those that still had input past their read budget.
    std::uint64_t serve_backlog() {
        std::uint64_t calls = 0;
        std::vector<std::uint64_t> carried;
        carried.swap(carry_);
        for (auto id : carried)
            if (auto it = conns_.find(id); it != conns_.end())
                calls += serve(*it->second, true, false);
        return calls +
               loop_.serve_dirty(
                   [this](std::uint64_t id) {
                       auto it = conns_.find(id);
                       return it == conns_.end() ? nullptr : it->second->conn;
                   },
                   [this](Connection& c) { return serve(*conns_.at(c.id()), false, false); });
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
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, conn.socket(), nullptr);
        auto it = conns_.find(conn.id());
        if (it == conns_.end()) return 1;
        graveyard_.push_back(std::move(it->second));  // events later in this batch may name it
        conns_.erase(it);
        registered_.store(conns_.size(), std::memory_order_relaxed);
        finalize_connection(conn, *host_, observed);
        return 2;
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    int epfd_ = -1;
    int wakefd_ = -1;
    char listener_tag_ = 0;
    char wake_tag_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;

    std::unordered_map<std::uint64_t, std::unique_ptr<Entry>> conns_;  // loop thread only
    std::vector<std::unique_ptr<Entry>> graveyard_;
    std::vector<std::uint64_t> carry_;  // read budget reached, more input pending

    LoopWakeups loop_;  // output woken on the loop thread and from others

    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, registered_{0};
};

}  // namespace

std::unique_ptr<Engine> make_epoll_engine() {
    return std::make_unique<EpollEngine>();
}

}  // namespace netcore
