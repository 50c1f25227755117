// netcore's client side: connections this process opens, served by any engine (no
// listener). The client window and the load generator run on it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "netcore/engine.hpp"
#include "netcore/tls.hpp"

namespace netcore {

struct ClientOptions {
    std::size_t max_send_queue = 64u << 20;
};

class Client final : private EngineHost {
  public:
    Client(ConnectionHandler& handler, ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void start(std::string_view engine_name);  // throws std::runtime_error
    void stop();  // closes every connection; the handler sees ServerStopped

    // Connects (blocking, bounded by `timeout`) from `bind_address` (empty: any) and hands
    // the socket to the engine. nullptr with `error` set when it fails. With `tls` (a client
    // context) the connection is TLS: `host` is the name verified and sent as SNI; the handler
    // sees on_open at once and data after the handshake; a failed handshake or verification
    // closes it with CloseReason::TlsFailed (Connection::tls_error() says why).
    ConnectionPtr connect(const std::string& host, std::uint16_t port, std::string& error,
                          std::chrono::milliseconds timeout = std::chrono::seconds(5),
                          const std::string& bind_address = "",
                          std::shared_ptr<TlsContext> tls = nullptr);

    std::string engine_name() const;
    EngineStats engine_stats() const;
    std::size_t connection_count() const { return open_.load(); }

  private:
    ConnectionPtr make_connection(socket_t s, std::string peer) override;
    void connection_opened(const ConnectionPtr& conn) override;
    void connection_closed(Connection& conn, CloseReason reason) override;
    ConnectionHandler& handler() override { return handler_; }
    void refuse(socket_t s, std::string_view why) override;

    ConnectionHandler& handler_;
    ClientOptions options_;
    std::atomic<std::uint64_t> next_id_{1};
    std::atomic<std::size_t> open_{0};
    std::mutex opened_mutex_;
    std::unordered_set<std::uint64_t> opened_;  // ids the handler has seen open
    mutable std::mutex engine_mutex_;
    std::unique_ptr<Engine> engine_;
};

// Opens a TCP connection; blocking with a timeout. kInvalidSocket with `error` set on failure.
socket_t connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                     const std::string& bind_address, std::string& error);

}  // namespace netcore
