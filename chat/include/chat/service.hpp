// The chat service of docs/protocol.md on top of netcore: sessions, nicks, rooms, whispers,
// boards, ECHO and INFO, and the operator's limits. It never asks which engine runs; engines
// call it through netcore::ConnectionHandler, and any number of engine threads may call it at
// once: rooms proceed in parallel, each in one order (docs/architecture.md, "The service").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chat/codec.hpp"
#include "netcore/connection.hpp"

namespace chat {

struct ServiceConfig {
    std::string server_name = "netchat";
    std::string password;  // empty: no password
    std::size_t max_sessions = 10000;
    // Connections from one address at once (0: no limit). Loopback peers are not counted
    // unless limit_loopback is set, so local tools and tests can open thousands.
    std::size_t max_per_address = 64;
    bool limit_loopback = false;
    // Sessions not yet past HELLO at once (0: no limit); see docs/architecture.md for the default.
    std::size_t max_handshakes = 1024;
    std::size_t max_frame = kMaxFrame;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{120'000};
    double rate_limit = 100;  // SAY/WHISPER/MOVE per second per session, 0 = unlimited
    // Each room keeps its last history_per_room messages for RESUME; all rooms together stay
    // within history_memory bytes, the oldest messages of the largest rooms going first.
    std::size_t history_per_room = 1000;
    std::uint64_t history_memory = std::uint64_t{64} << 20;
    // Several servers, one chat (docs/cluster.md): "redis://HOST:PORT[/DB]", or "" to run
    // alone; `node` names this server among the others (chat_server defaults it to its
    // listening address).
    std::string cluster;
    std::string node;
};

// Explicit session states: every transition is in chat/src/service/ and named there.
enum class SessionState { Handshake, Active, Closing };

struct SessionInfo {  // a snapshot row for operators and the GUI
    std::uint64_t id = 0;
    std::string nick, peer;
    SessionState state = SessionState::Handshake;
    std::vector<std::string> rooms;
    std::chrono::steady_clock::duration connected_for{};
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::size_t send_queue = 0;
    // What its TLS session negotiated ("TLSv1.3", "TLS_AES_256_GCM_SHA384"); both empty over
    // plaintext, and while the handshake is under way.
    std::string tls_version, tls_cipher;
    bool tls = false;  // the connection came in on a TLS listener
};

struct RoomInfo {
    std::string name;
    std::vector<std::string> members;
    std::uint64_t next_seq = 1;
    std::vector<Piece> board;
    std::uint64_t epoch = 0;  // of the room's history (docs/protocol.md, "History and resume")
    std::uint64_t history_messages = 0, history_bytes = 0;  // what its history holds
};

// Every room's history together, against the limits.
struct HistoryInfo {
    std::uint64_t rooms = 0, messages = 0, bytes = 0;
    std::uint64_t byte_limit = 0, per_room_limit = 0;
    std::uint64_t evicted_for_memory = 0;  // messages given up to byte_limit, ever
    // A cluster's (docs/cluster.md): the history is kept in Redis, and the figures above are
    // this node's copy of it, for the rooms it serves.
    bool shared = false;
};

// Connections turned away, by reason, and wrong passwords, since the service started.
// by_engine: turned away by the engine before any session (out of descriptors, select's
// FD_SETSIZE), answered with refusal().
struct RefusalCounts {
    std::uint64_t server_full = 0, per_address = 0, handshakes = 0, bad_password = 0;
    std::uint64_t by_engine = 0;
};

// The cluster as this node sees it (ChatService::cluster()); `enabled` false when alone.
struct ClusterNodeInfo {
    std::string name;
    std::uint32_t sessions = 0;
    std::uint64_t last_heartbeat_ms = 0;  // Unix time of its last heartbeat, in ms
    bool self = false;
};
struct ClusterStatus {
    bool enabled = false;
    std::string node, redis;  // this node's name; redis://host:port/db
    bool up = false;          // both connections to Redis are up
    double rtt_ms = -1;       // the last PING's round trip (-1: none yet)
    std::uint64_t reconnects = 0;
    std::string last_error;
    std::vector<ClusterNodeInfo> nodes;     // from the last heartbeat
    std::uint32_t sessions = 0, rooms = 0;  // the cluster's, from the last heartbeat
};

struct ServiceTotals {
    std::uint32_t sessions = 0, rooms = 0;
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t uptime_ms = 0;
    RefusalCounts refused;
};

namespace detail {
class ServiceCore;
}

class ChatService final : public netcore::ConnectionHandler {
  public:
    explicit ChatService(ServiceConfig config);
    ~ChatService() override;
    ChatService(const ChatService&) = delete;
    ChatService& operator=(const ChatService&) = delete;

    // Who answers "which engine": the server, read on demand (it changes on a live switch).
    void set_engine_name_source(std::function<std::string()> source);

    // ---- operator actions (any thread) ----
    // BYE ("kicked by the operator", or "kicked: REASON") and a graceful close; false if no
    // session has that nick.
    bool kick(const std::string& nick, const std::string& reason);
    // NOTICE to every logged-in session; false (and nothing sent) if the text breaks the
    // protocol's text rules (see notice_text_problem in chat/text_rules.hpp).
    bool notice(const std::string& text);
    // BYE to every session and a graceful close of each (queued frames are flushed first).
    void shutdown(const std::string& reason);

    std::vector<SessionInfo> sessions() const;
    std::vector<RoomInfo> rooms() const;
    ServiceTotals totals() const;
    HistoryInfo history() const;
    ClusterStatus cluster() const;  // enabled == false when the service runs alone
    // With ServiceConfig::cluster set: joins the cluster as `node` (in the background; what
    // needs the cluster is answered ERROR unavailable until Redis is reached). The constructor
    // throws std::runtime_error when this build has no cluster support.
    void start_cluster(const std::string& node);
    const ServiceConfig& config() const;  // as started (reload() changes some live)
    // Takes the settings that can change live from `fresh` (password, server name, rate limit;
    // nobody is dropped) and returns what changed, one line each; a changed setting that needs a
    // restart is named as such.
    std::vector<std::string> reload(const ServiceConfig& fresh);

    // ---- netcore::ConnectionHandler ----
    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;
    std::string refusal(std::string_view why) override;  // ERROR server_full

  private:
    std::unique_ptr<detail::ServiceCore> core_;
};

}  // namespace chat
