#include "service_core.hpp"

#include "memory_history.hpp"
#include "shared_history.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace chat::detail {
namespace {

// Alone, in this process; in a cluster, in Redis with a copy here (shared_history.hpp).
std::unique_ptr<HistoryStore> make_history(const ServiceConfig& config) {
    if (config.cluster.empty())
        return std::make_unique<MemoryHistoryStore>(config.history_per_room, config.history_memory);
    return std::make_unique<SharedHistory>(config.history_per_room, config.history_memory);
}

}  // namespace

ServiceCore::ServiceCore(ServiceConfig c)
    : config(std::move(c)),
      sessions(config),
      history(make_history(config)),
      rooms(traffic, *history, !config.cluster.empty()),
      local_order(std::make_unique<LocalRoomOrder>(*history)),
      cluster(config.cluster.empty() ? nullptr : make_cluster(*this, config)),
      order(cluster ? &cluster->order() : local_order.get()),
      passwords(config.password),
      rate_limit(config.rate_limit),
      max_frame(config.max_frame),
      handshake_timeout(Clock::duration(config.handshake_timeout).count()),
      idle_timeout(Clock::duration(config.idle_timeout).count()),
      server_name_(config.server_name) {
    timers.start(sweep_period(config), [this](Clock::time_point now) { sweep(now); });
}

// Timeouts are checked ten times per the shortest of them, between 20 ms and 0.5 s apart.
std::chrono::milliseconds ServiceCore::sweep_period(const ServiceConfig& c) {
    const auto shortest = std::min(c.handshake_timeout, c.idle_timeout);
    return std::clamp<std::chrono::milliseconds>(shortest / 10, std::chrono::milliseconds(20),
                                                 std::chrono::milliseconds(500));
}

ServiceCore::~ServiceCore() {
    timers.stop();  // its actions use everything else
    if (cluster) cluster->stop();
}

void ServiceCore::start_cluster(const std::string& node) {
    if (cluster) cluster->start(node);
}

void ServiceCore::set_engine_name_source(std::function<std::string()> source) {
    std::lock_guard lock(hooks_mutex_);
    engine_name_ = std::move(source);
}

std::string ServiceCore::engine_name() const {
    std::lock_guard lock(hooks_mutex_);
    return engine_name_ ? engine_name_() : std::string();
}

std::string ServiceCore::server_name() const {
    std::lock_guard lock(hooks_mutex_);
    return server_name_;
}

namespace {
std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace

std::vector<std::string> ServiceCore::reload(const ServiceConfig& fresh) {
    std::vector<std::string> changes;
    std::lock_guard reloading(reload_mutex_);
    if (fresh.password != current_password_) {
        passwords.set_password(fresh.password);
        current_password_ = fresh.password;
        changes.push_back(fresh.password.empty() ? "password removed (none needed now)"
                                                 : "password changed (logged-in sessions stay)");
    }
    {
        std::lock_guard lock(hooks_mutex_);
        if (fresh.server_name != server_name_) {
            changes.push_back("name " + server_name_ + " -> " + fresh.server_name);
            server_name_ = fresh.server_name;
        }
    }
    if (fresh.rate_limit != rate_limit.load()) {
        changes.push_back("rate-limit " + number(rate_limit.load()) + " -> " +
                          number(fresh.rate_limit));
        rate_limit.store(fresh.rate_limit);
    }
    // The admission limits: who is in stays; they rule the connections from now on.
    const auto limit = [&](const char* name, std::size_t& current, std::size_t next) {
        if (current == next) return;
        changes.push_back(std::string(name) + " " + std::to_string(current) + " -> " +
                          std::to_string(next) + " (from the next connection; nobody is dropped)");
        current = next;
    };
    limit("max-sessions", live_.max_sessions, fresh.max_sessions);
    limit("max-per-address", live_.max_per_address, fresh.max_per_address);
    limit("max-handshakes", live_.max_handshakes, fresh.max_handshakes);
    if (live_.limit_loopback != fresh.limit_loopback) {
        changes.push_back(std::string("limit-loopback ") + (fresh.limit_loopback ? "on" : "off") +
                          " (from the next connection)");
        live_.limit_loopback = fresh.limit_loopback;
    }
    sessions.set_limits(live_);
    if (fresh.max_frame != max_frame.load()) {
        changes.push_back("max-frame " + std::to_string(max_frame.load()) + " -> " +
                          std::to_string(fresh.max_frame) + " (for the frames to come)");
        max_frame.store(fresh.max_frame);
    }
    const auto timeout = [&](const char* name, std::atomic<Clock::rep>& current,
                             std::chrono::milliseconds next) {
        const auto before =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::duration(current.load()));
        if (before == next) return;
        changes.push_back(std::string(name) + " " + number(before.count() / 1000.0) + " s -> " +
                          number(next.count() / 1000.0) + " s (for every session, now)");
        current.store(Clock::duration(next).count());
    };
    timeout("handshake-timeout", handshake_timeout, fresh.handshake_timeout);
    timeout("idle-timeout", idle_timeout, fresh.idle_timeout);
    live_.handshake_timeout = fresh.handshake_timeout;
    live_.idle_timeout = fresh.idle_timeout;
    timers.set_period(sweep_period(live_));

    const auto restart = [&](const char* name, auto before, auto after) {
        if (before != after)
            changes.push_back(std::string(name) + " changed: takes effect at the next restart");
    };
    restart("history", config.history_per_room, fresh.history_per_room);
    restart("history-memory", config.history_memory, fresh.history_memory);
    return changes;
}

}  // namespace chat::detail
