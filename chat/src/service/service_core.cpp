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
      server_name_(config.server_name) {
    // Timeouts are checked ten times per the shortest of them, between 20 ms and 0.5 s apart.
    const auto shortest = std::min(config.handshake_timeout, config.idle_timeout);
    const auto period = std::clamp<std::chrono::milliseconds>(
        shortest / 10, std::chrono::milliseconds(20), std::chrono::milliseconds(500));
    timers.start(period, [this](Clock::time_point now) { sweep(now); });
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
    const auto restart = [&](const char* name, auto before, auto after) {
        if (before != after)
            changes.push_back(std::string(name) + " changed: takes effect at the next restart");
    };
    restart("max-sessions", config.max_sessions, fresh.max_sessions);
    restart("max-per-address", config.max_per_address, fresh.max_per_address);
    restart("limit-loopback", config.limit_loopback, fresh.limit_loopback);
    restart("max-handshakes", config.max_handshakes, fresh.max_handshakes);
    restart("max-frame", config.max_frame, fresh.max_frame);
    restart("handshake-timeout", config.handshake_timeout.count(), fresh.handshake_timeout.count());
    restart("idle-timeout", config.idle_timeout.count(), fresh.idle_timeout.count());
    restart("history", config.history_per_room, fresh.history_per_room);
    restart("history-memory", config.history_memory, fresh.history_memory);
    return changes;
}

}  // namespace chat::detail
