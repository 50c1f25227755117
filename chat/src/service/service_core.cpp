#include "service_core.hpp"

#include <algorithm>
#include <mutex>

namespace chat::detail {

ServiceCore::ServiceCore(ServiceConfig c)
    : config(std::move(c)),
      sessions(config),
      rooms(traffic),
      order(std::make_unique<LocalRoomOrder>()),
      passwords(config.password) {
    // Timeouts are checked ten times per the shortest of them, between 20 ms and 0.5 s apart.
    const auto shortest = std::min(config.handshake_timeout, config.idle_timeout);
    const auto period = std::clamp<std::chrono::milliseconds>(
        shortest / 10, std::chrono::milliseconds(20), std::chrono::milliseconds(500));
    timers.start(period, [this](Clock::time_point now) { sweep(now); });
}

ServiceCore::~ServiceCore() {
    timers.stop();  // its actions use everything else
}

void ServiceCore::set_engine_name_source(std::function<std::string()> source) {
    std::lock_guard lock(hooks_mutex_);
    engine_name_ = std::move(source);
}

std::string ServiceCore::engine_name() const {
    std::lock_guard lock(hooks_mutex_);
    return engine_name_ ? engine_name_() : std::string();
}

}  // namespace chat::detail
