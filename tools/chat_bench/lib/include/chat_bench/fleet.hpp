// The load generator's connections: one netcore::Client (one engine loop) per worker, each
// with the scenario's handler, and connections spread over the workers and over loopback
// source addresses (each 127.0.0.x has its own ephemeral port range, ~28k ports).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat_bench/options.hpp"
#include "netcore/client.hpp"
#include "netcore/tls.hpp"

namespace chat_bench {

class Fleet {
  public:
    // One worker per handler; the handlers must outlive the fleet's stop().
    Fleet(const CommonOptions& options, std::vector<netcore::ConnectionHandler*> handlers,
          std::size_t planned_connections);
    ~Fleet();
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;

    // Starts every worker's engine; throws std::runtime_error (unknown engine...).
    void start();
    // Connection number `index` goes to worker index % workers, source index % sources.
    netcore::ConnectionPtr connect(std::size_t index, std::string& error);
    void stop();  // closes every connection; handlers then see on_close(ServerStopped)

    std::size_t workers() const { return clients_.size(); }
    std::size_t sources() const { return sources_.size(); }
    std::size_t open_connections() const;
    std::string engine_name() const;

  private:
    const CommonOptions options_;
    std::vector<std::unique_ptr<netcore::Client>> clients_;
    std::vector<std::string> sources_;          // empty string: let the kernel choose
    std::shared_ptr<netcore::TlsContext> tls_;  // with --tls: every connection's
};

// The server connection `index` goes to (--servers spreads them; else --host/--port).
Endpoint endpoint_of(const CommonOptions& options, std::size_t index);
// "host:port", or the --servers list.
std::string target_text(const CommonOptions& options);

// Connects once to each server and closes: empty when all answer, else what to tell the user.
std::string check_server(const CommonOptions& options);

// Why a connection closed, for a report: the reason, and a TLS failure's own ("connection
// reset", "TLS failed: certificate has expired").
std::string why_closed(const netcore::Connection& conn, netcore::CloseReason reason);

// A nick unique to this process and index, within the protocol's 24 bytes.
std::string make_nick(const CommonOptions& options, std::size_t index);

}  // namespace chat_bench
