#include "server_metrics.hpp"

#include "server_app.hpp"
#include "server_command_line.hpp"  // netchat_version()

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
    return {std::move(name), std::move(help), type, {}};
}

void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
        m.counter.value = value;
    else
        m.gauge.value = value;
    f.metric.push_back(std::move(m));
}

MetricFamily one(std::string name, std::string help, MetricType type, double value) {
    MetricFamily f = family(std::move(name), std::move(help), type);
    add(f, value);
    return f;
}

// Durations of a live switch: a few milliseconds when the engines hand over idle sockets, up
// to about a second when one waits out a blocking call.
const prometheus::Histogram::BucketBoundaries kSwitchBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

}  // namespace

ServerMetrics::ServerMetrics(const ServerApp& app)
    : app_(app),
      switches_registry_(std::make_shared<prometheus::Registry>()),
      switches_(prometheus::BuildCounter()
                    .Name("netchat_engine_switches_total")
                    .Help("Live engine switches, by the engines and whether the new one took over")
                    .Register(*switches_registry_)),
      switch_seconds_(prometheus::BuildHistogram()
                          .Name("netchat_engine_switch_duration_seconds")
                          .Help("How long live engine switches took, from the request to the new "
                                "engine serving (or the old one back)")
                          .Register(*switches_registry_)) {
    switch_seconds_.Add({}, kSwitchBuckets);  // present (all zero) before the first switch
}

void ServerMetrics::engine_switched(const std::string& from, const std::string& to, double seconds,
                                    bool ok) {
    switches_.Add({{"from", from}, {"to", to}, {"result", ok ? "ok" : "failed"}}).Increment();
    switch_seconds_.Add({}, kSwitchBuckets).Observe(seconds);
}

std::vector<MetricFamily> ServerMetrics::Collect() const {
    const ops::StatsReport stats = app_.stats();
    const chat::ServiceTotals& t = stats.service;
    std::vector<MetricFamily> out;
    const auto G = MetricType::Gauge;
    const auto C = MetricType::Counter;

    MetricFamily info = family("netchat_build_info", "The netchat version serving", G);
    add(info, 1, {{"version", netchat_version()}, {"tls_library", stats.tls.library}});
    out.push_back(std::move(info));
    out.push_back(one("netchat_uptime_seconds", "Seconds since the server started", G,
                      static_cast<double>(t.uptime_ms) / 1000.0));
    out.push_back(one("netchat_sessions", "Sessions (connections past the server's admission)", G,
                      t.sessions));
    out.push_back(one("netchat_rooms", "Rooms with at least one member", G, t.rooms));
    out.push_back(one("netchat_tls_connections", "Connections over TLS now (handshake included)", G,
                      static_cast<double>(stats.tls.sessions)));
    out.push_back(one("netchat_frames_received_total", "Frames received from clients", C,
                      static_cast<double>(t.frames_in)));
    out.push_back(one("netchat_frames_sent_total", "Frames sent to clients", C,
                      static_cast<double>(t.frames_out)));
    out.push_back(one("netchat_bytes_received_total", "Bytes of frames received from clients", C,
                      static_cast<double>(t.bytes_in)));
    out.push_back(one("netchat_bytes_sent_total", "Bytes of frames sent to clients", C,
                      static_cast<double>(t.bytes_out)));
    out.push_back(one("netchat_send_queue_bytes",
                      "Bytes queued for clients and not yet sent, all sessions together", G,
                      static_cast<double>(app_.send_queue_bytes())));

    MetricFamily refused =
        family("netchat_refused_connections_total", "Connections turned away, by reason", C);
    add(refused, static_cast<double>(t.refused.server_full), {{"reason", "server_full"}});
    add(refused, static_cast<double>(t.refused.per_address), {{"reason", "per_address"}});
    add(refused, static_cast<double>(t.refused.handshakes), {{"reason", "handshakes"}});
    add(refused, static_cast<double>(t.refused.by_engine), {{"reason", "engine"}});
    out.push_back(std::move(refused));
    out.push_back(one("netchat_bad_passwords_total", "HELLOs refused for a wrong password", C,
                      static_cast<double>(t.refused.bad_password)));

    out.push_back(one("netchat_history_messages", "Messages kept for RESUME, all rooms", G,
                      static_cast<double>(stats.history.messages)));
    out.push_back(one("netchat_history_bytes", "Bytes of the messages kept for RESUME", G,
                      static_cast<double>(stats.history.bytes)));
    out.push_back(one("netchat_history_evicted_total",
                      "Messages given up to keep the histories within --history-memory", C,
                      static_cast<double>(stats.history.evicted_for_memory)));

    MetricFamily running = family("netchat_engine_running", "The engine serving now (1)", G);
    if (!stats.engine.engine.empty()) add(running, 1, {{"engine", stats.engine.engine}});
    out.push_back(std::move(running));
    out.push_back(one("netchat_engine_threads", "Threads of the engine serving now", G,
                      static_cast<double>(stats.engine.threads)));
    MetricFamily wakeups = family("netchat_engine_wakeups_total",
                                  "Returns from the engine's wait call (epoll_wait, select, "
                                  "GetQueuedCompletionStatus...), by engine, every run added up",
                                  C);
    MetricFamily events =
        family("netchat_engine_events_total",
               "Readiness events or completions the engine handled, by engine", C);
    MetricFamily syscalls = family("netchat_engine_syscalls_total",
                                   "I/O system calls the engine issued (recv, send, submit...), "
                                   "by engine",
                                   C);
    for (const auto& [engine, totals] : app_.engine_totals()) {
        add(wakeups, static_cast<double>(totals.wakeups), {{"engine", engine}});
        add(events, static_cast<double>(totals.events), {{"engine", engine}});
        add(syscalls, static_cast<double>(totals.syscalls), {{"engine", engine}});
    }
    out.push_back(std::move(wakeups));
    out.push_back(std::move(events));
    out.push_back(std::move(syscalls));

    for (auto& f : switches_registry_->Collect()) out.push_back(std::move(f));
    return out;
}
