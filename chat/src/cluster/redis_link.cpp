#include "redis_link.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>

namespace chat::cluster {

RedisLink::RedisLink(RedisAddress address, Hooks hooks)
    : address_(std::move(address)),
      hooks_(std::move(hooks)),
      commands_("command", [this](const std::string& why) { connection_lost(why); }),
      subscriber_("subscriber", [this](const std::string& why) { connection_lost(why); }) {
    status_.address = address_.to_string();
}

RedisLink::~RedisLink() {
    stop();
}

void RedisLink::start(const std::string& name) {
    name_ = name;
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) throw std::runtime_error("cluster: eventfd failed");
    thread_ = std::thread([this] { run(); });
}

void RedisLink::stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    post([] {});  // wakes it
    thread_.join();
    ::close(wake_fd_);
    wake_fd_ = -1;
}

void RedisLink::post(std::function<void()> job) {
    {
        std::lock_guard lock(jobs_mutex_);
        jobs_.push_back(std::move(job));
    }
    if (wake_fd_ >= 0) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
    }
}

LinkStatus RedisLink::status() const {
    std::lock_guard lock(status_mutex_);
    return status_;
}

void RedisLink::assert_link_thread() const {
    if (std::this_thread::get_id() != link_thread_) {
        spdlog::critical("cluster: link-thread state touched from another thread");
        std::abort();
    }
}

bool RedisLink::up() const {
    return commands_.state() == RedisConnection::State::Up &&
           subscriber_.state() == RedisConnection::State::Up;
}

void RedisLink::call(std::vector<std::string> args, ResultHandler done) {
    assert_link_thread();
    {
        std::lock_guard lock(status_mutex_);
        ++status_.commands;
    }
    commands_.command(std::move(args), std::move(done), kCallTimeout);
}

void RedisLink::every(std::chrono::milliseconds period, std::function<void()> tick) {
    assert_link_thread();
    timers_.push_back({period, Clock::now() + period, std::move(tick)});
}

void RedisLink::run_jobs() {
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(jobs_mutex_);
        batch.swap(jobs_);
    }
    for (auto& job : batch) job();
}

void RedisLink::connect() {
    reconnect_pending_ = false;
    std::string error;
    auto both = std::make_shared<std::pair<bool, bool>>(false, false);
    const auto check = [this, both] {
        if (!both->first || !both->second || !up()) return;
        available_.store(true, std::memory_order_release);
        backoff_ = std::chrono::milliseconds(100);
        {
            std::lock_guard lock(status_mutex_);
            status_.up = true;
            if (ever_up_) ++status_.reconnects;
        }
        spdlog::info("cluster: connected to {}{}", address_.to_string(), ever_up_ ? " again" : "");
        ever_up_ = true;
        if (hooks_.up) hooks_.up();
    };
    const bool ok = commands_.open(
                        address_, name_ + "-commands", kCallTimeout,
                        [both, check] { both->first = true, check(); }, error) &&
                    subscriber_.open(
                        address_, name_ + "-subscriber", kCallTimeout,
                        [both, check] { both->second = true, check(); }, error);
    if (!ok) connection_lost(error);
}

void RedisLink::connection_lost(const std::string& why) {
    commands_.close(why);
    subscriber_.close(why);
    const bool was_available = available_.exchange(false, std::memory_order_acq_rel);
    rtt_in_flight_ = false;
    {
        std::lock_guard lock(status_mutex_);
        status_.up = false;
        status_.last_error = why;
    }
    if (was_available) {
        spdlog::warn("cluster: lost Redis at {}: {}", address_.to_string(), why);
        if (hooks_.down) hooks_.down(why);
    }
    if (reconnect_pending_ || stop_.load()) return;
    // Full jitter on top of half the backoff: nodes that lost Redis together do not come back
    // in step.
    static thread_local std::mt19937 random{std::random_device{}()};
    const auto half = backoff_ / 2;
    const auto wait = half + std::chrono::milliseconds(std::uniform_int_distribution<long>(
                                 0, static_cast<long>(half.count()))(random));
    reconnect_pending_ = true;
    reconnect_at_ = Clock::now() + wait;
    spdlog::debug("cluster: reconnecting to Redis in {} ms", wait.count());
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, std::chrono::seconds(5));
}

void RedisLink::measure_rtt() {
    if (!up() || rtt_in_flight_) return;
    rtt_in_flight_ = true;
    const auto sent = Clock::now();
    call({"PING"}, [this, sent](RedisResult r) {
        rtt_in_flight_ = false;
        if (!r.ok()) return;
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
        std::lock_guard lock(status_mutex_);
        status_.rtt_ms = ms;
    });
}

void RedisLink::run() {
    link_thread_ = std::this_thread::get_id();
    commands_.bind_thread();
    subscriber_.bind_thread();
    every(std::chrono::milliseconds(1000), [this] { measure_rtt(); });
    while (!stop_.load()) {
        const auto now = Clock::now();
        if (reconnect_pending_ && now >= reconnect_at_) connect();
        auto next = now + std::chrono::milliseconds(100);
        if (reconnect_pending_) next = std::min(next, reconnect_at_);
        for (const Timer& t : timers_) next = std::min(next, t.due);

        pollfd fds[3] = {{wake_fd_, POLLIN, 0},
                         {commands_.fd(), commands_.poll_events(), 0},
                         {subscriber_.fd(), subscriber_.poll_events(), 0}};
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now());
        const int n = ::poll(fds, 3, static_cast<int>(std::max<long>(0, wait.count())));
        if (n < 0 && errno != EINTR) spdlog::warn("cluster: poll failed: {}", std::strerror(errno));
        if (n > 0 && (fds[0].revents & POLLIN)) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto r = ::read(wake_fd_, &count, sizeof count);
        }
        // Replies first, so an answer that came in time is not taken for a timeout (a node
        // continued after SIGSTOP finds its answers waiting).
        if (n > 0 && fds[1].fd >= 0 && fds[1].revents) commands_.handle(fds[1].revents);
        if (n > 0 && fds[2].fd >= 0 && fds[2].revents) subscriber_.handle(fds[2].revents);
        run_jobs();
        const auto after = Clock::now();
        commands_.check_deadlines(after);
        subscriber_.check_deadlines(after);
        for (std::size_t i = 0; i < timers_.size(); ++i) {  // a tick may add a timer
            if (timers_[i].due > after) continue;
            timers_[i].due = after + timers_[i].period;
            auto tick = timers_[i].tick;
            tick();
        }
    }
    commands_.close("shutting down");
    subscriber_.close("shutting down");
    available_.store(false);
    run_jobs();  // what was posted meanwhile fails at once: the connections are down
}

}  // namespace chat::cluster
