// A build without prometheus-cpp (the MinGW cross build: Debian has no MinGW prometheus-cpp):
// --metrics is refused by the settings check, so start() is never reached.
#include <stdexcept>

#include "metrics_endpoint.hpp"

struct MetricsEndpoint::Impl {};

bool MetricsEndpoint::available() {
    return false;
}

MetricsEndpoint::MetricsEndpoint(ServerApp&, std::string, std::uint16_t) {}
MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::start() {
    throw std::runtime_error("--metrics is not in this build (built without prometheus-cpp)");
}
void MetricsEndpoint::stop() {}
std::string MetricsEndpoint::endpoint() const {
    return {};
}
void MetricsEndpoint::engine_switched(const std::string&, const std::string&, double, bool) {}
