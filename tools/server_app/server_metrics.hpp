// What /metrics tells, as Prometheus metric families named netchat_*: read from ServerApp at
// each scrape (sessions, rooms, frames and bytes each way, send-queue bytes, refusals by
// reason, history, every engine's wake-ups, events and system calls since the server started),
// and the engine switches with their durations, recorded as they happen.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

class ServerApp;

class ServerMetrics final : public prometheus::Collectable {
  public:
    explicit ServerMetrics(const ServerApp& app);

    // Any thread (a scrape).
    std::vector<prometheus::MetricFamily> Collect() const override;
    // Any thread (the one that switched).
    void engine_switched(const std::string& from, const std::string& to, double seconds, bool ok);

  private:
    const ServerApp& app_;
    std::shared_ptr<prometheus::Registry> switches_registry_;
    prometheus::Family<prometheus::Counter>& switches_;
    prometheus::Family<prometheus::Histogram>& switch_seconds_;
};
