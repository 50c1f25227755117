#include "netcore/client.hpp"

#include <stdexcept>

#include "netcore/engine_registry.hpp"
#include "netcore/socket_ops.hpp"

namespace netcore {

Client::Client(ConnectionHandler& handler, ClientOptions options)
    : handler_(handler), options_(options) {
    init_sockets();
}

Client::~Client() {
    stop();
}

void Client::start(std::string_view engine_name) {
    auto engine = create_engine(engine_name);
    if (!engine)
        throw std::runtime_error("unknown engine '" + std::string(engine_name) +
                                 "' (this platform has: " + engine_names() + ")");
    std::lock_guard lock(engine_mutex_);
    engine_ = std::move(engine);
    engine_->start(*this, {}, {});
}

void Client::stop() {
    std::vector<ConnectionPtr> remaining;
    {
        std::lock_guard lock(engine_mutex_);
        if (!engine_) return;
        remaining = engine_->stop();
        engine_.reset();
    }
    for (auto& conn : remaining) {
        const CloseReason reason = conn->finalize(CloseReason::ServerStopped);
        bool was_opened;
        {
            std::lock_guard lock(opened_mutex_);
            was_opened = opened_.count(conn->id()) > 0;
        }
        if (was_opened) connection_closed(*conn, reason);
    }
}

ConnectionPtr Client::connect(const std::string& host, std::uint16_t port, std::string& error,
                              std::chrono::milliseconds timeout, const std::string& bind_address,
                              std::shared_ptr<TlsContext> tls) {
    if (tls && tls->is_server()) {
        error = "the TLS context given to connect is a server's";
        return nullptr;
    }
    const socket_t s = connect_tcp(host, port, timeout, bind_address, error);
    if (s == kInvalidSocket) return nullptr;
    auto conn = make_connection(s, host + ":" + std::to_string(port));
    if (tls) {
        try {
            conn->use_tls(*tls, host);
        } catch (const std::exception& e) {
            error = std::string("TLS: ") + e.what();
            return nullptr;  // the connection closes its socket
        }
    }
    std::lock_guard lock(engine_mutex_);
    if (!engine_) {
        error = "client is not running";
        return nullptr;
    }
    engine_->adopt(conn);
    return conn;
}

std::string Client::engine_name() const {
    std::lock_guard lock(engine_mutex_);
    return engine_ ? std::string(engine_->name()) : std::string();
}

EngineStats Client::engine_stats() const {
    std::lock_guard lock(engine_mutex_);
    return engine_ ? engine_->stats() : EngineStats{};
}

ConnectionPtr Client::make_connection(socket_t s, std::string peer) {
    return std::make_shared<Connection>(next_id_.fetch_add(1), s, std::move(peer),
                                        options_.max_send_queue);
}

void Client::connection_opened(const ConnectionPtr& conn) {
    {
        std::lock_guard lock(opened_mutex_);
        opened_.insert(conn->id());
    }
    open_.fetch_add(1);
    handler_.on_open(conn);
}

void Client::connection_closed(Connection& conn, CloseReason reason) {
    {
        std::lock_guard lock(opened_mutex_);
        opened_.erase(conn.id());
    }
    open_.fetch_sub(1);
    handler_.on_close(conn, reason);
}

void Client::refuse(socket_t s, std::string_view) {
    close_socket(s);
}

}  // namespace netcore
