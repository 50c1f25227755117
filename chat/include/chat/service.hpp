// The chat service of docs/protocol.md on top of netcore: sessions, nicks, rooms, whispers,
// boards, ECHO and INFO. It never asks which engine runs; engines call it through
// netcore::ConnectionHandler, and any number of engine threads may call it at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chat/codec.hpp"
#include "netcore/connection.hpp"

namespace chat {

struct ServiceConfig {
    std::string server_name = "netchat";
    std::string password;  // empty: no password
    std::size_t max_sessions = 10000;
    std::size_t max_frame = kMaxFrame;
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds idle_timeout{120'000};
    double rate_limit = 100;  // SAY/WHISPER/MOVE per second per session, 0 = unlimited
};

// Explicit session states: every transition is in service.cpp and named there.
enum class SessionState { Handshake, Active, Closing };

struct SessionInfo {  // a snapshot row for operators and the GUI
    std::uint64_t id = 0;
    std::string nick, peer;
    SessionState state = SessionState::Handshake;
    std::vector<std::string> rooms;
    std::chrono::steady_clock::duration connected_for{};
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::size_t send_queue = 0;
};

struct RoomInfo {
    std::string name;
    std::vector<std::string> members;
    std::uint64_t next_seq = 1;
    std::vector<Piece> board;
};

struct ServiceTotals {
    std::uint32_t sessions = 0, rooms = 0;
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    std::uint64_t uptime_ms = 0;
};

class ChatService final : public netcore::ConnectionHandler {
  public:
    explicit ChatService(ServiceConfig config);
    ~ChatService() override;

    // Who answers "which engine": the server, read on demand (it changes on a live switch).
    void set_engine_name_source(std::function<std::string()> source);

    // ---- operator actions (any thread) ----
    bool kick(const std::string& nick, const std::string& reason);
    void notice(const std::string& text);
    // BYE to every session and a graceful close of each (queued frames are flushed first).
    void shutdown(const std::string& reason);

    std::vector<SessionInfo> sessions() const;
    std::vector<RoomInfo> rooms() const;
    ServiceTotals totals() const;
    const ServiceConfig& config() const { return config_; }

    // ---- netcore::ConnectionHandler ----
    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;
    std::string refusal(std::string_view why) override;  // ERROR server_full

  private:
    struct Session;
    struct Room;

    void handle_frame(Session& s, std::uint16_t type, std::span<const std::byte> frame);
    void handle_message(Session& s, AnyMessage& msg, std::uint16_t type);
    void on_hello(Session& s, Hello& m);
    void on_join(Session& s, const Join& m);
    void on_leave(Session& s, const Leave& m);
    void on_say(Session& s, Say& m);
    void on_whisper(Session& s, Whisper& m);
    void on_move(Session& s, const Move& m);
    void on_list_rooms(Session& s);
    void on_info(Session& s);

    // Transitions (mutex_ held).
    void begin_closing(Session& s);  // Handshake/Active -> Closing; leaves every room
    void leave_room(Session& s, Room& room, bool tell_leaver);

    void send_to(Session& s, const AnyMessage& msg);
    void send_frame(Session& s, std::span<const std::byte> frame);
    void send_error(Session& s, ErrorCode code, std::uint16_t in_reply_to, std::string detail);
    void broadcast(Room& room, const AnyMessage& msg);
    Board board_of(const Room& room) const;
    bool rate_ok(Session& s);

    void timer_loop();
    void expire_sessions();

    const ServiceConfig config_;
    const std::chrono::steady_clock::time_point started_;
    std::function<std::string()> engine_name_;

    mutable std::mutex mutex_;  // sessions_, nicks_, rooms_ and every session's state and rooms
    std::unordered_map<std::uint64_t, std::unique_ptr<Session>> sessions_;
    std::unordered_map<std::string, Session*> nicks_;  // by folded nick
    std::map<std::string, std::unique_ptr<Room>> rooms_;

    std::atomic<std::uint64_t> frames_in_{0}, frames_out_{0}, bytes_in_{0}, bytes_out_{0};
    bool shutting_down_ = false;  // under mutex_: new connections get BYE, not a session

    std::mutex timer_mutex_;
    std::condition_variable timer_cv_;
    bool timer_stop_ = false;
    std::thread timer_;
};

}  // namespace chat
