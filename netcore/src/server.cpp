#include "netcore/server.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <vector>

#ifndef _WIN32
#include <sys/socket.h>
#endif

#include "netcore/engine_registry.hpp"
#include "netcore/socket_ops.hpp"

namespace netcore {

namespace {

// An engine whose start() failed may have closed some of the connections it was given (the
// blocking engine closes one it cannot start threads for, and the handler hears of it): those
// are neither handed on nor closed again.
void drop_closed(std::vector<ConnectionPtr>& conns) {
    std::erase_if(conns, [](const ConnectionPtr& conn) {
        return conn->phase() == Connection::Phase::Closed;
    });
}

}  // namespace

Server::Server(ConnectionHandler& handler, ServerOptions options)
    : handler_(handler), options_(std::move(options)), max_send_queue_(options_.max_send_queue) {
    init_sockets();
}

Server::~Server() {
    stop();
}

void Server::start(std::string_view engine_name) {
    auto engine = create_engine(engine_name);
    if (!engine)
        throw std::runtime_error("unknown engine '" + std::string(engine_name) +
                                 "' (this platform has: " + engine_names() + ")");
    std::vector<ListenAddress> wanted{
        {options_.listen_address, options_.port, options_.listen_tls}};
    wanted.insert(wanted.end(), options_.more_listeners.begin(), options_.more_listeners.end());
    for (const ListenAddress& where : wanted)
        if (where.tls && !options_.tls)
            throw std::runtime_error("listener " + where.host + ":" + std::to_string(where.port) +
                                     " speaks TLS but no TLS context (certificate) was given");
        else if (where.tls && options_.tls_client_host.empty() && !options_.tls->is_server())
            throw std::runtime_error("the TLS context given to the server is a client's");
        else if (where.tls && !options_.tls_client_host.empty() && options_.tls->is_server())
            throw std::runtime_error(
                "tls_client_host is set but the TLS context given to the server is a server's");
    if (wanted.size() > kMaxListeners)
        throw std::runtime_error("at most " + std::to_string(kMaxListeners) +
                                 " listening addresses (" + std::to_string(wanted.size()) +
                                 " given)");
    try {
        for (const ListenAddress& where : wanted) {
            listeners_.push_back(listen_tcp(where.host, where.port));
            bound_.push_back({where.host, local_port(listeners_.back()), where.tls});
            if (where.tls) tls_listeners_.push_back(listeners_.back());
        }
    } catch (...) {
        close_listeners();  // those already open: the caller may try another address
        throw;
    }
    port_ = bound_.front().port;
    {
        std::lock_guard lock(engine_mutex_);
        engine_ = std::move(engine);
        set_engine_name();
        engine_->start(*this, listeners_, {});
    }
    housekeeping_ = std::thread([this] { housekeeping_loop(); });
}

void Server::stop() {
    {
        std::lock_guard lock(housekeeping_mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    housekeeping_cv_.notify_all();
    if (housekeeping_.joinable()) housekeeping_.join();

    std::vector<ConnectionPtr> remaining;
    {
        std::lock_guard lock(engine_mutex_);
        if (engine_) remaining = engine_->stop();
        engine_.reset();
    }
    for (auto& conn : remaining)
        connection_closed(*conn, conn->finalize(CloseReason::ServerStopped));
    close_listeners();
}

bool Server::switch_engine(std::string_view engine_name, std::string& error, EngineStats* retired) {
    auto next = create_engine(engine_name);
    if (!next) {
        error = "unknown engine '" + std::string(engine_name) +
                "' (this platform has: " + engine_names() + ")";
        return false;
    }
    std::lock_guard lock(engine_mutex_);
    if (listeners_.empty()) {
        error = "server is not running";
        return false;
    }
    if (!engine_) return start_afresh(std::move(next), error);
    if (engine_->name() == next->name()) return true;
    if (auto why = next->cannot_adopt(connections()); !why.empty()) {
        error = std::string(engine_name) + " cannot take over: " + why;
        return false;
    }
    const std::string from(engine_->name());
    auto conns = engine_->stop();
    if (retired) *retired = engine_->stats();  // all of its run: nothing counts after stop()
    const std::size_t count = conns.size();
    try {
        next->start(*this, listeners_, conns);
    } catch (const std::exception& e) {
        // The new engine could not start (resources, a sandbox): the old model takes back
        // everything it handed over, so nobody is lost.
        error = std::string(engine_name) + " failed to start: " + e.what();
        spdlog::error("engine switch {} -> {} failed: {}", from, engine_name, e.what());
        next.reset();  // whatever it did open is given back before the old engine starts
        roll_back(from, std::move(conns), error);
        return false;
    }
    engine_ = std::move(next);
    set_engine_name();
    spdlog::info("engine switched {} -> {} with {} connections", from, engine_->name(), count);
    return true;
}

// The old engine takes back what it handed over (but for any the failed start closed: their
// handler has heard of it already). Should it fail to start again too (the process is out of
// descriptors, say), the server is left in one known state: no engine runs, every connection
// is closed once (its handler hears ServerStopped), the listener is kept (unwatched: new
// clients wait in its backlog), and the next switch starts an engine afresh.
void Server::roll_back(const std::string& from, std::vector<ConnectionPtr> conns,
                       std::string& error) {
    drop_closed(conns);
    engine_ = create_engine(from);
    try {
        engine_->start(*this, listeners_, conns);
        return;
    } catch (const std::exception& e) {
        drop_closed(conns);
        error += "; restarting " + from + " failed too: " + e.what() + "; no engine runs, " +
                 std::to_string(conns.size()) + " connection(s) closed, the next switch starts one";
        spdlog::critical(
            "engine switch: restarting {} failed too: {}; no engine runs, {} "
            "connection(s) closed",
            from, e.what(), conns.size());
    }
    engine_.reset();
    set_engine_name();
    for (auto& conn : conns) connection_closed(*conn, conn->finalize(CloseReason::ServerStopped));
}

bool Server::start_afresh(std::unique_ptr<Engine> next, std::string& error) {
    try {
        next->start(*this, listeners_, {});
    } catch (const std::exception& e) {
        error = std::string(next->name()) + " failed to start: " + e.what() + "; no engine runs";
        spdlog::error("engine start {} failed: {}", next->name(), e.what());
        return false;
    }
    engine_ = std::move(next);
    set_engine_name();
    spdlog::info("engine {} started (no engine ran)", engine_->name());
    return true;
}

void Server::close_listeners() {
    for (socket_t s : listeners_) close_socket(s);
    listeners_.clear();
    bound_.clear();
    tls_listeners_.clear();
}

std::string Server::engine_name() const {
    std::lock_guard lock(name_mutex_);
    return engine_name_;
}

void Server::set_engine_name() {
    std::lock_guard lock(name_mutex_);
    engine_name_ = engine_ ? std::string(engine_->name()) : std::string();
}

EngineStats Server::engine_stats() const {
    std::lock_guard lock(engine_mutex_);
    return engine_ ? engine_->stats() : EngineStats{};
}

std::size_t Server::connection_count() const {
    std::lock_guard lock(registry_mutex_);
    return registry_.size();
}

std::vector<ConnectionPtr> Server::connections() const {
    std::lock_guard lock(registry_mutex_);
    std::vector<ConnectionPtr> out;
    out.reserve(registry_.size());
    for (auto& [id, conn] : registry_) out.push_back(conn);
    return out;
}

ConnectionPtr Server::make_connection(socket_t s, std::string peer) {
    auto conn = std::make_shared<Connection>(next_id_.fetch_add(1), s, std::move(peer),
                                             max_send_queue_.load());
    // Engines accept without knowing which listener speaks TLS: the socket's own address says.
    for (socket_t listener : tls_listeners_) {
        if (!accepted_through(s, listener)) continue;
        try {
            conn->use_tls(*options_.tls, options_.tls_client_host);
        } catch (const std::exception& e) {
            spdlog::error("connection {}: no TLS session: {}", conn->id(), e.what());
            conn->abort(CloseReason::TlsFailed);
        }
        break;
    }
    std::lock_guard lock(registry_mutex_);
    registry_.emplace(conn->id(), conn);
    return conn;
}

void Server::connection_opened(const ConnectionPtr& conn) {
    handler_.on_open(conn);
}

void Server::connection_closed(Connection& conn, CloseReason reason) {
    ConnectionPtr keep;  // the handler may still look at the connection
    {
        std::lock_guard lock(registry_mutex_);
        auto it = registry_.find(conn.id());
        if (it != registry_.end()) {
            keep = std::move(it->second);
            registry_.erase(it);
        }
    }
    handler_.on_close(conn, reason);
}

void Server::refuse(socket_t s, std::string_view why) {
    spdlog::warn("engine {} refused a connection: {}", engine_name(), why);
    const std::string message = handler_.refusal(why);
    set_nonblocking(s, true);
    // A fresh socket's send buffer is empty, so one small send goes out whole.
    [[maybe_unused]] auto n = ::send(s, message.data(), static_cast<int>(message.size()), 0);
    close_socket(s);
}

// Gives up on graceful closes that take too long (a peer that never reads or never closes).
void Server::housekeeping_loop() {
    std::unique_lock lock(housekeeping_mutex_);
    while (!stopping_) {
        housekeeping_cv_.wait_for(lock, std::chrono::milliseconds(100));
        const auto deadline = std::chrono::steady_clock::now() - options_.linger_timeout;
        for (auto& conn : connections()) {
            const auto phase = conn->phase();
            if ((phase == Connection::Phase::Draining ||
                 phase == Connection::Phase::ShutdownSent) &&
                conn->close_requested_at() < deadline)
                conn->abort(CloseReason::LingerTimeout);
        }
    }
}

}  // namespace netcore
