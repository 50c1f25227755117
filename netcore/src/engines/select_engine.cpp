// select: the oldest readiness call. The fd_sets are in/out parameters, rebuilt from the
// interest table before every call, every socket tested after it: O(n) per wakeup on both sides
// of the kernel. An fd_set holds FD_SETSIZE entries (descriptors below 1024 on Linux, 64 sockets
// by default on Windows); sockets past that are turned away. Level-triggered; the write set
// holds only stuck output; other threads wake the loop through the read set. Both platforms.
#ifdef _WIN32
// Winsock's fd_set is an array of FD_SETSIZE handles, 64 unless defined before winsock2.h:
// raised here (only this file uses fd_set) so one set serves well past 64 sockets.
#define FD_SETSIZE 1024
#else
#include <sys/select.h>
#endif

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "readiness_loop.hpp"
#include "wake_channel.hpp"

namespace netcore {
namespace {

constexpr PollerTraits kSelect{
    .engine = "select",
    .wait_call = "select",
    .edge_triggered = false,
    .interest_in_kernel = false,
    .trigger = "level; fd_sets rebuilt every call",
    .ceiling = "FD_SETSIZE",
};

// Whether one more socket fits an fd_set already holding `count` (connections, wake-up,
// listeners): POSIX sets are bitmaps by descriptor, Windows sets arrays of FD_SETSIZE handles.
bool fits_fd_set(socket_t s, std::size_t count) {
#ifdef _WIN32
    (void)s;
    return count < FD_SETSIZE;
#else
    (void)count;
    return s >= 0 && s < FD_SETSIZE;
#endif
}

class SelectPoller final : public Poller {
  public:
    const PollerTraits& traits() const override { return kSelect; }

    std::string_view refuses(socket_t s, std::size_t count) const override {
        static const std::string why =
            "select serves at most FD_SETSIZE (" + std::to_string(FD_SETSIZE) + ") sockets";
        // Before open() (a switch asking), the wake-up and one listener are counted at least.
        const std::size_t others = std::max<std::size_t>(reserved_.load(), 2);
        return fits_fd_set(s, count + others) ? std::string_view{} : std::string_view{why};
    }

    void open() override {
        if (const int error = wake_.open(); error != 0)
            throw std::runtime_error("the wake-up channel: " + socket_error_text(error));
        watch(wake_.handle(), kWakeKey, {true, false});
    }
    void close() override {
        table_.clear();
        reserved_ = 0;
    }

    int watch(socket_t s, std::uint32_t key, Interest interest) override {
        if (key >= table_.size()) table_.resize(key + 1);
        table_[key] = {s, interest};
        if (key < kFirstConnectionKey) ++reserved_;
        return 0;
    }
    int modify(socket_t, std::uint32_t key, Interest interest) override {
        table_[key].interest = interest;
        return 0;
    }
    void forget(socket_t, std::uint32_t key) override {
        table_[key] = {};
        if (key < kFirstConnectionKey) --reserved_;
    }

    WaitResult wait(std::vector<Fired>& fired, int timeout_ms) override {
        // select() overwrites its sets with the result: build them anew every time. The
        // listener or the wake-up past FD_SETSIZE (a process with many other descriptors)
        // cannot be in a set: then they are tried every 10 ms instead.
        fd_set readers, writers;
        FD_ZERO(&readers);
        FD_ZERO(&writers);
        socket_t highest = 0;
        bool unwatched = false;
        for (std::uint32_t key = 0; key < table_.size(); ++key) {
            const Slot& slot = table_[key];
            if (slot.s == kInvalidSocket) continue;
            if (key < kFirstConnectionKey && !fits_fd_set(slot.s, 0)) {
                unwatched = true;
                continue;
            }
            if (slot.interest.read) FD_SET(slot.s, &readers);
            if (slot.interest.write) FD_SET(slot.s, &writers);
            highest = std::max(highest, slot.s);
        }
        const int ms = unwatched && (timeout_ms < 0 || timeout_ms > 10) ? 10 : timeout_ms;
        timeval tick{ms / 1000, (ms % 1000) * 1000};
        const bool forever = ms < 0;
        const int n = ::select(static_cast<int>(highest + 1), &readers, &writers, nullptr,
                               forever ? nullptr : &tick);
        if (n < 0) return {last_socket_error(), 1};
        // Which sockets are ready is only known by testing each one.
        for (std::uint32_t key = 0; key < table_.size(); ++key) {
            const Slot& slot = table_[key];
            if (slot.s == kInvalidSocket) continue;
            const bool tried = key < kFirstConnectionKey && !fits_fd_set(slot.s, 0);
            const bool r = tried || FD_ISSET(slot.s, &readers), w = FD_ISSET(slot.s, &writers);
            if (!r && !w) continue;
            if (key == kWakeKey) wake_.drain();
            fired.push_back({key, r, w, false});
        }
        scanned_.fetch_add(table_.size(), std::memory_order_relaxed);
        return {0, 1};
    }
    void signal() override { wake_.signal(); }

    void describe(EngineStats& s) const override {
        const auto scanned = static_cast<double>(scanned_.load(std::memory_order_relaxed));
        const double per_wakeup = s.wakeups ? scanned / static_cast<double>(s.wakeups) : 0.0;
        s.details.emplace_back("FD_SETSIZE", std::to_string(FD_SETSIZE));
        s.details.emplace_back("sockets scanned per wakeup", std::to_string(per_wakeup));
    }

  private:
    struct Slot {
        socket_t s = kInvalidSocket;
        Interest interest;
    };

    WakeChannel wake_;
    std::vector<Slot> table_;               // by key
    std::atomic<std::size_t> reserved_{0};  // the wake-up and the listeners watched
    std::atomic<std::uint64_t> scanned_{0};
};

}  // namespace

std::unique_ptr<Engine> make_select_engine() {
    return make_readiness_engine(std::make_unique<SelectPoller>());
}

}  // namespace netcore
