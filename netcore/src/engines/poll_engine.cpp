// poll: the interest set is an array of pollfd the program keeps and hands to the kernel on
// every call; the kernel and then the loop scan all of it (O(n) per wakeup), but unlike
// select there is no FD_SETSIZE ceiling. Level-triggered: a socket with input left over is
// simply reported again, and POLLOUT is asked for only while output is stuck. Other threads
// wake the loop through an eventfd in the array.
#include <poll.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "readiness_loop.hpp"
#include "wake_channel.hpp"

namespace netcore {
namespace {

constexpr PollerTraits kPoll{
    .engine = "poll",
    .wait_call = "poll",
    .edge_triggered = false,
    .interest_in_kernel = false,
    .trigger = "level; POLLOUT only while output is pending",
    .ceiling = {},
};

constexpr std::size_t kNowhere = SIZE_MAX;

short poll_events(Interest interest) {
    return static_cast<short>((interest.read ? POLLIN : 0) | (interest.write ? POLLOUT : 0));
}

class PollPoller final : public Poller {
  public:
    const PollerTraits& traits() const override { return kPoll; }

    void open() override {
        if (const int error = wake_.open(); error != 0)
            throw std::runtime_error("eventfd: " + socket_error_text(error));
        watch(wake_.handle(), kWakeKey, {true, false});
    }
    void close() override {
        fds_.clear();
        keys_.clear();
        where_.clear();
    }

    int watch(socket_t s, std::uint32_t key, Interest interest) override {
        if (key >= where_.size()) where_.resize(key + 1, kNowhere);
        where_[key] = fds_.size();
        fds_.push_back(pollfd{s, poll_events(interest), 0});
        keys_.push_back(key);
        return 0;
    }
    int modify(socket_t, std::uint32_t key, Interest interest) override {
        fds_[where_[key]].events = poll_events(interest);
        return 0;
    }
    // Swap-and-pop keeps the array dense; the moved entry's position is updated.
    void forget(socket_t, std::uint32_t key) override {
        const std::size_t pos = where_[key], last = fds_.size() - 1;
        fds_[pos] = fds_[last];
        keys_[pos] = keys_[last];
        where_[keys_[pos]] = pos;
        where_[key] = kNowhere;
        fds_.pop_back();
        keys_.pop_back();
    }

    WaitResult wait(std::vector<Fired>& fired, int timeout_ms) override {
        const int n = ::poll(fds_.data(), static_cast<nfds_t>(fds_.size()), timeout_ms);
        if (n < 0) return {errno, 1};
        // poll() marks ready entries in place: finding them means walking the array.
        std::size_t i = 0;
        for (int found = 0; i < fds_.size() && found < n; ++i) {
            const short rev = fds_[i].revents;
            if (rev == 0) continue;
            ++found;
            if (keys_[i] == kWakeKey) wake_.drain();
            // A hang-up, an error or a descriptor closed behind our back: the read says which.
            fired.push_back({keys_[i], (rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0,
                             (rev & POLLOUT) != 0, false});
        }
        scanned_.fetch_add(fds_.size(), std::memory_order_relaxed);  // the kernel walks all
        checked_.fetch_add(i, std::memory_order_relaxed);  // the loop stops at the n-th ready
        entries_.store(fds_.size(), std::memory_order_relaxed);
        return {0, 1};
    }
    void signal() override { wake_.signal(); }

    void describe(EngineStats& s) const override {
        const auto per_wakeup = [&s](const std::atomic<std::uint64_t>& total) {
            const auto t = static_cast<double>(total.load(std::memory_order_relaxed));
            return std::to_string(s.wakeups ? t / static_cast<double>(s.wakeups) : 0.0);
        };
        s.details.emplace_back("pollfd entries", std::to_string(entries_.load()));
        s.details.emplace_back("sockets scanned per wakeup", per_wakeup(scanned_));
        s.details.emplace_back("entries checked by the loop per wakeup", per_wakeup(checked_));
    }

  private:
    WakeChannel wake_;
    std::vector<pollfd> fds_;
    std::vector<std::uint32_t> keys_;  // keys_[i] names fds_[i]
    std::vector<std::size_t> where_;   // by key: its position in fds_
    std::atomic<std::uint64_t> scanned_{0}, checked_{0}, entries_{0};
};

}  // namespace

std::unique_ptr<Engine> make_poll_engine() {
    return make_readiness_engine(std::make_unique<PollPoller>());
}

}  // namespace netcore
