// --metrics ADDR:PORT: an HTTP endpoint (cpp-httplib) with the server's metrics in Prometheus'
// text format on /metrics (prometheus-cpp's serializer; what they are: server_metrics.hpp)
// and its health on /health: 200 while an engine serves, 503 when none runs or the server is
// shutting down. Off by default; not in a build without prometheus-cpp (the MinGW build).
//
// Threads: start() and stop() from the owner; requests are answered on two threads of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

class ServerApp;

class MetricsEndpoint {
  public:
    // False in a build without prometheus-cpp and cpp-httplib: --metrics is refused there.
    static bool available();

    MetricsEndpoint(ServerApp& app, std::string host, std::uint16_t port);
    ~MetricsEndpoint();
    MetricsEndpoint(const MetricsEndpoint&) = delete;
    MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

    // Binds (port 0 picks a free one) and starts answering; throws std::runtime_error.
    void start();
    // Stops answering; returns once the requests in progress are done (bounded by the
    // endpoint's read and write timeouts, 2 s).
    void stop();
    std::string endpoint() const;  // "127.0.0.1:9464", "[::1]:9464"

    // A live engine switch that did something (ok, or failed after the old engine stopped):
    // counted, and its duration observed.
    void engine_switched(const std::string& from, const std::string& to, double seconds, bool ok);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};
