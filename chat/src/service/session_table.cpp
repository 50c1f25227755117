#include "session_table.hpp"

#include <mutex>

#include "peer_address.hpp"

namespace chat::detail {

SessionTable::SessionTable(const ServiceConfig& config)
    : max_sessions_(config.max_sessions),
      max_per_address_(config.max_per_address),
      max_handshakes_(config.max_handshakes),
      limit_loopback_(config.limit_loopback) {}

void SessionTable::set_limits(const ServiceConfig& config) {
    std::lock_guard lock(mutex_);
    max_sessions_ = config.max_sessions;
    max_per_address_ = config.max_per_address;
    max_handshakes_ = config.max_handshakes;
    limit_loopback_ = config.limit_loopback;
}

Admission SessionTable::admit(const netcore::ConnectionPtr& conn) {
    std::string host = peer_host(conn->peer());
    const bool loopback = is_loopback(host);
    std::lock_guard lock(mutex_);
    const bool counted = max_per_address_ > 0 && (limit_loopback_ || !loopback);
    if (shutting_down_) return {Verdict::ShuttingDown, nullptr, "server shutting down"};
    if (sessions_.size() >= max_sessions_)
        return {Verdict::ServerFull, nullptr,
                std::to_string(max_sessions_) + " sessions already (--max-sessions)"};
    if (counted) {
        const auto it = per_address_.find(host);
        if (it != per_address_.end() && it->second >= max_per_address_)
            return {Verdict::AddressFull, nullptr,
                    std::to_string(max_per_address_) + " connections from " + host +
                        " already (--max-per-address)"};
    }
    if (max_handshakes_ > 0 && handshaking_ >= max_handshakes_)
        return {
            Verdict::HandshakesFull, nullptr,
            std::to_string(max_handshakes_) + " connections still logging in (--max-handshakes)"};

    auto session = std::make_shared<Session>(conn, host, counted);
    sessions_.emplace(conn->id(), session);
    if (counted) ++per_address_[std::move(host)];
    ++handshaking_;
    return {Verdict::Admitted, std::move(session), {}};
}

SessionPtr SessionTable::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return nullptr;
    SessionPtr session = std::move(it->second);
    sessions_.erase(it);
    if (session->counted_address) {
        const auto slot = per_address_.find(session->address);
        if (slot != per_address_.end() && --slot->second == 0) per_address_.erase(slot);
    }
    return session;
}

void SessionTable::handshake_finished() {
    std::lock_guard lock(mutex_);
    if (handshaking_ > 0) --handshaking_;
}

std::vector<SessionPtr> SessionTable::begin_shutdown() {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    std::vector<SessionPtr> out;
    out.reserve(sessions_.size());
    for (const auto& [id, s] : sessions_) out.push_back(s);
    return out;
}

std::size_t SessionTable::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

}  // namespace chat::detail
