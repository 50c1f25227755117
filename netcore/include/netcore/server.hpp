// Runs one engine at a time over a listening socket and the connections it accepted, and
// switches engines live: the old engine hands back every connection, the new one adopts them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "netcore/engine.hpp"
#include "netcore/tls.hpp"

namespace netcore {

struct ListenAddress {
    std::string host;        // "127.0.0.1", "::1", a name
    std::uint16_t port = 0;  // 0 picks a free port
    bool tls = false;        // its connections speak TLS (ServerOptions::tls)
};

struct ServerOptions {
    std::string listen_address = "127.0.0.1";
    std::uint16_t port = 7777;  // 0 picks a free port
    // Listeners besides listen_address:port (kMaxListeners in all): every engine serves each.
    std::vector<ListenAddress> more_listeners;
    bool listen_tls = false;  // the first listener (listen_address:port) speaks TLS
    // Makes the sessions of every TLS listener; required when one is (start() throws).
    std::shared_ptr<TlsContext> tls;
    // Role reversal: when set, `tls` is a client's context and every TLS listener's accepted
    // connection runs a TLS *client* session that verifies the peer's certificate for this
    // host (as for a service that is dialled by a TLS server). Empty: `tls` must be a server's.
    std::string tls_client_host;
    std::size_t max_send_queue = 8u << 20;
    std::chrono::milliseconds linger_timeout{2000};  // how long a graceful close may take
};

class Server final : private EngineHost {
  public:
    Server(ConnectionHandler& handler, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, listens (on every listener) and starts the engine; throws std::runtime_error with
    // a clear message.
    void start(std::string_view engine_name);
    // Closes every remaining connection (the handler sees ServerStopped) and the listeners.
    void stop();

    // Live switch; false with `error` set if the engine is unknown, cannot adopt, or fails to
    // start (then the old engine takes every connection back; if it cannot start again either,
    // no engine runs, every connection is closed, and the next switch starts one afresh).
    // `retired`, if given, receives the old engine's final counters when it was stopped (its
    // `engine` stays empty when none was).
    bool switch_engine(std::string_view engine_name, std::string& error,
                       EngineStats* retired = nullptr);

    // Any thread: the send-queue limit of the connections accepted from now on (a reload);
    // those already open keep theirs.
    void set_max_send_queue(std::size_t bytes) { max_send_queue_ = bytes; }

    std::string engine_name() const;
    EngineStats engine_stats() const;
    std::string address() const { return options_.listen_address; }  // the first listener's
    std::uint16_t port() const { return port_; }
    // Every listener as bound (a port 0 asked for is the one picked), the first first.
    const std::vector<ListenAddress>& listening() const { return bound_; }
    std::size_t connection_count() const;
    std::vector<ConnectionPtr> connections() const;

  private:
    ConnectionPtr make_connection(socket_t s, std::string peer) override;
    void connection_opened(const ConnectionPtr& conn) override;
    void connection_closed(Connection& conn, CloseReason reason) override;
    ConnectionHandler& handler() override { return handler_; }
    void refuse(socket_t s, std::string_view why) override;
    void housekeeping_loop();
    // switch_engine's failure paths; engine_mutex_ held.
    void roll_back(const std::string& from, std::vector<ConnectionPtr> conns, std::string& error);
    bool start_afresh(std::unique_ptr<Engine> next, std::string& error);
    void set_engine_name();  // call with engine_mutex_ held
    void close_listeners();

    ConnectionHandler& handler_;
    ServerOptions options_;
    std::atomic<std::size_t> max_send_queue_;
    Listeners listeners_;
    std::vector<ListenAddress> bound_;
    std::vector<socket_t> tls_listeners_;  // those of listeners_ that speak TLS
    std::uint16_t port_ = 0;
    std::atomic<std::uint64_t> next_id_{1};

    mutable std::mutex engine_mutex_;  // guards engine_ (switches are serialised by it)
    std::unique_ptr<Engine> engine_;
    // Apart from engine_mutex_: handlers ask for the name from engine threads during a switch.
    mutable std::mutex name_mutex_;
    std::string engine_name_;

    mutable std::mutex registry_mutex_;
    std::unordered_map<std::uint64_t, ConnectionPtr> registry_;

    std::mutex housekeeping_mutex_;
    std::condition_variable housekeeping_cv_;
    bool stopping_ = false;
    std::thread housekeeping_;
};

}  // namespace netcore
