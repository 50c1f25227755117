#include "metrics_endpoint.hpp"

#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "server_app.hpp"
#include "server_metrics.hpp"

struct MetricsEndpoint::Impl {
    Impl(ServerApp& app, std::string host, std::uint16_t port)
        : app(app), metrics(app), host(std::move(host)), port(port) {}

    ServerApp& app;
    ServerMetrics metrics;
    std::string host;
    std::uint16_t port;
    httplib::Server http;
    std::thread thread;
};

bool MetricsEndpoint::available() {
    return true;
}

MetricsEndpoint::MetricsEndpoint(ServerApp& app, std::string host, std::uint16_t port)
    : impl_(std::make_unique<Impl>(app, std::move(host), port)) {}

MetricsEndpoint::~MetricsEndpoint() {
    stop();
}

void MetricsEndpoint::start() {
    Impl& m = *impl_;
    // Scrapes are few: two threads answer them, and no request may hold stop() for long.
    m.http.new_task_queue = [] { return new httplib::ThreadPool(2); };
    m.http.set_read_timeout(2, 0);
    m.http.set_write_timeout(2, 0);
    m.http.set_keep_alive_timeout(2);
    m.http.set_payload_max_length(4096);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server would
    // share the port silently instead of being told it is taken.
    m.http.set_socket_options([](socket_t s) {
        int yes = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    m.http.Get("/metrics", [&m](const httplib::Request&, httplib::Response& res) {
        const std::string text = prometheus::TextSerializer().Serialize(m.metrics.Collect());
        res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
    });
    m.http.Get("/health", [&m](const httplib::Request&, httplib::Response& res) {
        const ServerApp::Health health = m.app.health();
        res.status = health.serving ? 200 : 503;
        res.set_content(health.text + "\n", "text/plain; charset=utf-8");
    });
    m.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.status == 404)
            res.set_content("not found: try /metrics or /health\n", "text/plain; charset=utf-8");
    });
    const int bound = m.port == 0 ? m.http.bind_to_any_port(m.host)
                                  : (m.http.bind_to_port(m.host, m.port) ? m.port : -1);
    if (bound <= 0)
        throw std::runtime_error("--metrics " + endpoint() +
                                 ": cannot listen there (in use, or not this machine's address?)");
    m.port = static_cast<std::uint16_t>(bound);
    m.thread = std::thread([&m] { m.http.listen_after_bind(); });
    // stop() before the thread is in its accept loop would not reach it: wait until it is.
    for (int i = 0; i < 500 && !m.http.is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    spdlog::info("metrics on http://{}/metrics and /health", endpoint());
}

void MetricsEndpoint::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->http.stop();
    impl_->thread.join();
}

std::string MetricsEndpoint::endpoint() const {
    const std::string& host = impl_->host;
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return shown + ":" + std::to_string(impl_->port);
}

void MetricsEndpoint::engine_switched(const std::string& from, const std::string& to,
                                      double seconds, bool ok) {
    impl_->metrics.engine_switched(from, to, seconds, ok);
}
