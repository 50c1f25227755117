// Snapshots for operators and the window: consistent per session and per room, not across
// them (each is read under its own lock, one after the other).
#include "service_core.hpp"

namespace chat::detail {

std::vector<SessionInfo> ServiceCore::session_infos() const {
    std::vector<SessionInfo> out;
    const auto now = Clock::now();
    for (const SessionPtr& s : sessions.select([](const Session&) { return true; })) {
        SessionInfo info;
        info.id = s->conn->id();
        info.peer = s->conn->peer();
        {
            const Lock lock(s->mutex);
            info.nick = s->nick;
            info.state = s->state.load(std::memory_order_acquire);
            for (const RoomPtr& r : s->rooms) info.rooms.push_back(r->name());
        }
        info.connected_for = now - s->conn->opened_at();
        info.frames_in = s->frames_in.load(std::memory_order_relaxed);
        info.frames_out = s->frames_out.load(std::memory_order_relaxed);
        info.bytes_in = s->conn->bytes_in();
        info.bytes_out = s->conn->bytes_out();
        info.send_queue = s->conn->queued_bytes();
        info.tls = s->conn->is_tls();
        if (const auto tls = s->conn->tls_info()) {
            info.tls_version = tls->version;
            info.tls_cipher = tls->cipher;
        }
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<RoomInfo> ServiceCore::room_infos() const {
    std::vector<RoomInfo> out;
    for (const RoomPtr& room : rooms.all()) {
        const Lock lock = room->lock();
        if (!room->retired()) out.push_back(room->info());
    }
    return out;
}

ServiceTotals ServiceCore::totals() const {
    ServiceTotals t;
    t.sessions = static_cast<std::uint32_t>(sessions.size());
    t.rooms = static_cast<std::uint32_t>(rooms.size());
    t.frames_in = traffic.frames_in.load(std::memory_order_relaxed);
    t.frames_out = traffic.frames_out.load(std::memory_order_relaxed);
    t.bytes_in = traffic.bytes_in.load(std::memory_order_relaxed);
    t.bytes_out = traffic.bytes_out.load(std::memory_order_relaxed);
    t.uptime_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    t.refused.server_full = refused.server_full.load(std::memory_order_relaxed);
    t.refused.per_address = refused.per_address.load(std::memory_order_relaxed);
    t.refused.handshakes = refused.handshakes.load(std::memory_order_relaxed);
    t.refused.bad_password = refused.bad_password.load(std::memory_order_relaxed);
    t.refused.by_engine = refused.by_engine.load(std::memory_order_relaxed);
    return t;
}

}  // namespace chat::detail
