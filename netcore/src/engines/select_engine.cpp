// select: the oldest readiness call. The fd_sets are in/out parameters, so they are rebuilt
// from the connection table before every call and every socket is tested after it: O(n)
// per wakeup on both sides of the kernel. An fd_set holds FD_SETSIZE entries (descriptors
// below 1024 on Linux, 64 sockets by default on Windows); sockets past that are turned away.
// Level-triggered; the write set holds only sockets whose output is stuck. One loop thread;
// other threads wake it through a descriptor kept in the read set.
#ifdef _WIN32
// Winsock's fd_set is an array of FD_SETSIZE handles, 64 unless defined before winsock2.h:
// raised here (only this file uses fd_set) so one set serves well past 64 sockets.
#define FD_SETSIZE 1024
#endif
#ifndef _WIN32
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>
#endif

#include <algorithm>
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

constexpr std::string_view kTooMany = "select serves at most FD_SETSIZE sockets";

// Whether one more socket fits an fd_set that already holds `count` connections (plus the
// listener and the wake-up). POSIX sets are bitmaps indexed by descriptor; Windows sets are
// arrays of up to FD_SETSIZE handles.
bool fits_fd_set(socket_t s, std::size_t count) {
#ifdef _WIN32
    (void)s;
    return count + 2 < FD_SETSIZE;
#else
    (void)count;
    return s >= 0 && s < FD_SETSIZE;
#endif
}

// The loop's wake-up: a descriptor select() watches that other threads make readable.
// An eventfd on Linux; Windows' select() takes only sockets, hence a loopback pair there.
class WakeChannel {
  public:
#ifdef _WIN32
    bool open() {
        const socket_t acceptor = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        if (acceptor == kInvalidSocket) return false;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int len = sizeof addr;
        const bool ok = ::bind(acceptor, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                        ::listen(acceptor, 1) == 0 &&
                        ::getsockname(acceptor, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
                        (out_ = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) != kInvalidSocket &&
                        ::connect(out_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                        (in_ = ::accept(acceptor, nullptr, nullptr)) != kInvalidSocket;
        close_socket(acceptor);
        if (!ok) return false;
        set_nonblocking(in_, true);
        set_nonblocking(out_, true);
        return true;
    }
    socket_t handle() const {
        return in_;
    }
    void signal() {
        const char one = 1;
        ::send(out_, &one, 1, 0);
    }
    void drain() {
        char sink[64];
        while (::recv(in_, sink, sizeof sink, 0) > 0) {
        }
    }
    void close() {
        if (in_ != kInvalidSocket) close_socket(in_);
        if (out_ != kInvalidSocket) close_socket(out_);
        in_ = out_ = kInvalidSocket;
    }

  private:
    socket_t in_ = kInvalidSocket;
    socket_t out_ = kInvalidSocket;
#else
    bool open() {
        fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        return fd_ >= 0;
    }
    socket_t handle() const {
        return fd_;
    }
    void signal() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
    }
    void drain() {
        std::uint64_t count;
        [[maybe_unused]] auto n = ::read(fd_, &count, sizeof count);
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
#endif
};

class SelectEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "select"; }

    std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const override {
        std::size_t count = 0;
        for (const auto& conn : conns) {
            // Closed while the switch looked (the old engine still runs): it is not handed over.
            if (conn->socket() == kInvalidSocket) continue;
            if (!fits_fd_set(conn->socket(), count))
                return std::string(kTooMany) + " (FD_SETSIZE is " + std::to_string(FD_SETSIZE) +
                       "; connection " + std::to_string(conn->id()) + " uses socket " +
                       std::to_string(conn->socket()) + ")";
            ++count;
        }
        return {};
    }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        if (!wake_.open()) throw std::runtime_error("select: cannot create the wake-up channel");
        // Both are watched in every set; should either be past FD_SETSIZE (a process with
        // many other descriptors), fall back to polling them every 10 ms.
        own_fit_ = (listener_ == kInvalidSocket || fits_fd_set(listener_, 0)) &&
                   fits_fd_set(wake_.handle(), 0);
        for (auto& conn : adopted) {
            // Accepted by the old engine after cannot_adopt() looked: cannot be watched.
            if (!fits_fd_set(conn->socket(), conns_.size()))
                turned_away_.push_back(std::move(conn));
            else
                add(conn);
        }
        stopping_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    std::vector<ConnectionPtr> stop() override {
        stopping_ = true;
        wake_.signal();
        if (thread_.joinable()) thread_.join();
        std::vector<ConnectionPtr> out;
        for (auto& [id, entry] : conns_) {
            EngineSlot::detach(*entry.conn);
            out.push_back(std::move(entry.conn));
        }
        conns_.clear();
        wake_.close();
        loop_.hand_on_adopted(*host_, out);
        return out;
    }

    void adopt(ConnectionPtr conn) override {
        if (loop_.adopt(std::move(conn))) wake_.signal();
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "select";
        s.threads = 1;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        const auto scanned = scanned_.load(std::memory_order_relaxed);
        const double per_wakeup =
            s.wakeups ? static_cast<double>(scanned) / static_cast<double>(s.wakeups) : 0.0;
        s.details = {{"registered sockets", std::to_string(registered_.load())},
                     {"FD_SETSIZE", std::to_string(FD_SETSIZE)},
                     {"sockets scanned per wakeup", std::to_string(per_wakeup)},
                     {"refused (FD_SETSIZE)", std::to_string(refused_.load())},
                     {"trigger", "level; fd_sets rebuilt every call"}};
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (loop_.wake(conn)) wake_.signal();
    }
    bool owns_io(const Connection&) const override { return loop_.on_loop_thread(); }

    struct Entry {
        ConnectionPtr conn;
        bool want_write = false;  // output stuck: in the write set until it drains
    };

    void add(const ConnectionPtr& conn) {
        conns_.emplace(conn->id(), Entry{conn, false});
        registered_.store(conns_.size(), std::memory_order_relaxed);
        EngineSlot::attach(*conn, this);
    }

    void loop() {
        loop_.enter_loop();
        for (auto& conn : turned_away_) finalize_connection(*conn, *host_, CloseReason::Requested);
        turned_away_.clear();
        struct Ready {
            ConnectionPtr conn;  // owned here: serving one may close and remove another
            bool readable, writable;
        };
        std::vector<Ready> ready;
        while (!stopping_) {
            // select() overwrites its sets with the result: build them anew every time.
            fd_set readers, writers;
            FD_ZERO(&readers);
            FD_ZERO(&writers);
            socket_t highest = 0;
            auto watch = [&highest](socket_t s, fd_set& set) {
                FD_SET(s, &set);
                highest = std::max(highest, s);
            };
            if (own_fit_) {
                if (listener_ != kInvalidSocket) watch(listener_, readers);
                watch(wake_.handle(), readers);
            }
            for (const auto& [id, e] : conns_) {
                // After the peer's FIN the socket stays readable for good: leave it out.
                // Nor while the peer's own answers are backlogged (backpressure).
                if (!e.conn->peer_has_finished() && !e.conn->output_backlogged())
                    watch(e.conn->socket(), readers);
                if (e.want_write) watch(e.conn->socket(), writers);
            }
            timeval tick{0, 10'000};
            const int n = ::select(static_cast<int>(highest + 1), &readers, &writers, nullptr,
                                   own_fit_ ? nullptr : &tick);
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            std::uint64_t calls = 1;
            if (n < 0) {
                syscalls_.fetch_add(calls, std::memory_order_relaxed);
                continue;  // EINTR; every socket in the sets is ours and open
            }
            // Which sockets are ready is only known by testing each one.
            if (!own_fit_ || FD_ISSET(wake_.handle(), &readers)) take_remote_wakes();
            for (const auto& [id, e] : conns_) {
                const socket_t s = e.conn->socket();
                const bool r = FD_ISSET(s, &readers), w = FD_ISSET(s, &writers);
                if (r || w) ready.push_back({e.conn, r, w});
            }
            scanned_.fetch_add(conns_.size() + 2, std::memory_order_relaxed);
            events_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
            for (auto& r : ready) calls += serve(*r.conn, r.readable, r.writable);
            ready.clear();
            if (listener_ != kInvalidSocket && (!own_fit_ || FD_ISSET(listener_, &readers)))
                calls += accept_new();
            calls += serve_dirty();
            syscalls_.fetch_add(calls, std::memory_order_relaxed);
        }
        loop_.leave_loop();
    }

    std::uint64_t accept_new() {
        auto why_not = [this](socket_t s) {
            if (fits_fd_set(s, conns_.size())) return std::string_view{};
            refused_.fetch_add(1, std::memory_order_relaxed);
            return kTooMany;
        };
        return accept_pending(listener_, *host_, 256, why_not,
                              [this](const ConnectionPtr& c) { add(c); })
            .calls;
    }

    // Reads and writes one connection; returns the socket calls made.
    std::uint64_t serve(Connection& conn, bool readable, bool writable) {
        if (conn.phase() == Connection::Phase::Closed) return 0;
        std::uint64_t calls = 0;
        if (readable) {
            // Level-triggered: past the read budget, or after a short read, select() reports
            // the socket again if anything (input or the FIN) is left.
            const auto r = read_available(conn, host_->handler(), read_scratch(), kReadBudget,
                                          ReadUntil::ShortRead);
            calls += r.calls;
            if (r.failed) return calls + close(conn, CloseReason::Reset);
        }
        if (EngineSlot::take_flush(conn) || writable) {
            const auto w = flush_output(conn);
            calls += w.calls;
            if (w.failed) return calls + close(conn, CloseReason::Reset);
            if (auto it = conns_.find(conn.id()); it != conns_.end())
                it->second.want_write = w.blocked;
        }
        if (conn.must_finalize()) calls += close(conn, CloseReason::PeerClosed);
        return calls;
    }

    std::uint64_t serve_dirty() {
        return loop_.serve_dirty(
            [this](std::uint64_t id) {
                auto it = conns_.find(id);
                return it == conns_.end() ? nullptr : it->second.conn;
            },
            [this](Connection& c) { return serve(c, false, false); });
    }

    void take_remote_wakes() {
        wake_.drain();
        for (auto& conn : loop_.take_inbox()) {
            if (!fits_fd_set(conn->socket(), conns_.size())) {
                host_->connection_opened(conn);  // the handler learns of it, then of its close
                finalize_connection(*conn, *host_, CloseReason::Requested);
                continue;
            }
            add(conn);
            host_->connection_opened(conn);
        }
    }

    std::uint64_t close(Connection& conn, CloseReason observed) {
        conns_.erase(conn.id());
        registered_.store(conns_.size(), std::memory_order_relaxed);
        finalize_connection(conn, *host_, observed);
        return 1;
    }

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    WakeChannel wake_;
    bool own_fit_ = true;  // listener and wake-up fit the fd_sets
    std::atomic<bool> stopping_{false};
    std::thread thread_;

    std::unordered_map<std::uint64_t, Entry> conns_;  // loop thread only
    std::vector<ConnectionPtr> turned_away_;          // adopted but past FD_SETSIZE

    LoopWakeups loop_;  // output woken on the loop thread and from others

    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, registered_{0};
    std::atomic<std::uint64_t> scanned_{0}, refused_{0};
};

}  // namespace

std::unique_ptr<Engine> make_select_engine() {
    return std::make_unique<SelectEngine>();
}

}  // namespace netcore
