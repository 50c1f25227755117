// ChatService: the public face of the service; everything is done in chat/src/service/.
#include "chat/service.hpp"

#include "service/service_core.hpp"

namespace chat {

ChatService::ChatService(ServiceConfig config)
    : core_(std::make_unique<detail::ServiceCore>(std::move(config))) {}

ChatService::~ChatService() = default;

void ChatService::set_engine_name_source(std::function<std::string()> source) {
    core_->set_engine_name_source(std::move(source));
}

bool ChatService::kick(const std::string& nick, const std::string& reason) {
    return core_->kick(nick, reason);
}

bool ChatService::notice(const std::string& text) {
    return core_->notice(text);
}

void ChatService::shutdown(const std::string& reason) {
    core_->shutdown(reason);
}

std::vector<SessionInfo> ChatService::sessions() const {
    return core_->session_infos();
}

std::vector<RoomInfo> ChatService::rooms() const {
    return core_->room_infos();
}

ServiceTotals ChatService::totals() const {
    return core_->totals();
}

HistoryInfo ChatService::history() const {
    const detail::HistoryTotals t = core_->history->totals();
    return HistoryInfo{t.rooms,
                       t.messages,
                       t.bytes,
                       t.byte_limit,
                       t.per_room_limit,
                       t.evicted_for_memory,
                       core_->cluster != nullptr};
}

ClusterStatus ChatService::cluster() const {
    return core_->cluster ? core_->cluster->status() : ClusterStatus{};
}

void ChatService::start_cluster(const std::string& node) {
    core_->start_cluster(node);
}

const ServiceConfig& ChatService::config() const {
    return core_->config;
}

std::vector<std::string> ChatService::reload(const ServiceConfig& fresh) {
    return core_->reload(fresh);
}

void ChatService::on_open(const netcore::ConnectionPtr& conn) {
    core_->open(conn);
}

std::size_t ChatService::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    return core_->read(conn, data);
}

void ChatService::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    core_->close(conn, reason);
}

std::string ChatService::refusal(std::string_view why) {
    // netcore turns away a plaintext client on a TLS port in clear ("this port speaks TLS"):
    // ServerFull is the protocol's only code for "not here", so the detail says what to do.
    // Anything else is a resource the engine ran out of (descriptors, FD_SETSIZE).
    const bool wants_tls = why.find("TLS") != std::string_view::npos;
    if (!wants_tls) core_->refused.by_engine.fetch_add(1, std::memory_order_relaxed);
    const std::string detail =
        wants_tls ? std::string(why) + ": connect with TLS" : "server full: " + std::string(why);
    const Bytes frame = encode(Error{ErrorCode::ServerFull, 0, detail});
    return std::string(reinterpret_cast<const char*>(frame.data()), frame.size());
}

}  // namespace chat
