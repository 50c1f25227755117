// epoll: the kernel keeps the interest set, and epoll_wait returns only the ready sockets.
// Edge-triggered (EPOLLET): each connection is registered once for input and output and never
// modified; an edge is reported once per change, so the loop reads until the socket is empty.
// The listener and the wake-up stay level-triggered. Other threads wake the loop through an
// eventfd in the set.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "readiness_loop.hpp"
#include "wake_channel.hpp"

namespace netcore {
namespace {

constexpr PollerTraits kEpoll{
    .engine = "epoll",
    .wait_call = "epoll_wait",
    .edge_triggered = true,
    .interest_in_kernel = true,
    .trigger = "edge (EPOLLET)",
    .ceiling = {},
};

constexpr int kBatch = 512;  // events taken per epoll_wait

class EpollPoller final : public Poller {
  public:
    ~EpollPoller() override { close(); }
    const PollerTraits& traits() const override { return kEpoll; }

    void open() override {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) throw std::runtime_error("epoll_create1: " + socket_error_text(errno));
        if (const int error = wake_.open(); error != 0)
            throw std::runtime_error("eventfd: " + socket_error_text(error));
        if (const int error = watch(wake_.handle(), kWakeKey, {true, false}); error != 0)
            throw std::runtime_error("epoll_ctl(ADD) of the eventfd: " + socket_error_text(error));
        events_.resize(kBatch);
    }
    void close() override {
        if (epfd_ >= 0) ::close(epfd_);
        epfd_ = -1;
    }

    int watch(socket_t s, std::uint32_t key, Interest interest) override {
        return control(EPOLL_CTL_ADD, s, key, interest);
    }
    int modify(socket_t s, std::uint32_t key, Interest interest) override {
        return control(EPOLL_CTL_MOD, s, key, interest);
    }
    void forget(socket_t s, std::uint32_t) override {
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, s, nullptr);  // fails only for a socket not watched
    }

    WaitResult wait(std::vector<Fired>& fired, int timeout_ms) override {
        const int n = ::epoll_wait(epfd_, events_.data(), kBatch, timeout_ms);
        if (n < 0) return {errno, 1};
        for (int i = 0; i < n; ++i) {
            const auto ev = events_[i].events;
            const auto key = static_cast<std::uint32_t>(events_[i].data.u64);
            if (key == kWakeKey) wake_.drain();
            fired.push_back({key, (ev & EPOLLIN) != 0, (ev & EPOLLOUT) != 0,
                             (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0});
        }
        return {0, 1};
    }
    void signal() override { wake_.signal(); }

  private:
    int control(int op, socket_t s, std::uint32_t key, Interest interest) {
        epoll_event ev{};
        ev.events = (interest.read ? EPOLLIN | EPOLLRDHUP : 0u) | (interest.write ? EPOLLOUT : 0u) |
                    (key >= kFirstConnectionKey ? EPOLLET : 0u);
        ev.data.u64 = key;
        return ::epoll_ctl(epfd_, op, s, &ev) == 0 ? 0 : errno;
    }

    int epfd_ = -1;
    WakeChannel wake_;
    std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Engine> make_epoll_engine() {
    return make_readiness_engine(std::make_unique<EpollPoller>());
}

}  // namespace netcore
