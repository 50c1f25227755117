// The exchange between the client window's UI thread and its network side. The network side
// publishes immutable views of the chat (rooms shared between views until they change); once
// per frame the UI takes the newest view and hands over what the user asked for. Both sides
// hold the lock only for a pointer swap: the UI never waits on the network.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "chat/client_session.hpp"

namespace client_gui {

enum class Link {
    Idle,        // not connected, not trying (the connect panel)
    Connecting,  // TCP connect in progress
    LoggingIn,   // HELLO sent, waiting for WELCOME
    Ready,       // logged in
    Retrying,    // lost or not there: the next attempt is scheduled
    Refused,     // the server said no (nick taken, bad password...): the user must act
};
const char* to_string(Link link);

struct ClientView {
    std::uint64_t serial = 0;
    Link link = Link::Idle;
    std::string host;
    std::uint16_t port = 0;
    std::string nick;            // asked for, then as the server spelled it
    std::string problem;         // why not connected, in words for the user
    bool welcomed_once = false;  // logged in at least once since the last Connect
    int attempt = 0;             // failed attempts in a row
    std::chrono::steady_clock::time_point retry_at{};  // when Retrying
    std::string server_name, engine;                   // engine refreshed with INFO_REQ
    std::optional<std::chrono::microseconds> rtt;
    std::uint64_t frames_in = 0, frames_out = 0;
    bool resume = true;  // false: the server answered RESUME as revision 1 (no history)
    bool tls = false;    // the connection is (to be) over TLS
    std::string tls_version, tls_cipher;  // once the handshake is done ("TLSv1.3", ...)
    std::string tls_warning;              // what --insecure leaves unchecked, while it applies

    std::map<std::string, std::shared_ptr<const chat::RoomView>> rooms;
    std::vector<chat::RoomSummary> room_list;
    std::shared_ptr<const std::vector<chat::Whispered>> whispers =
        std::make_shared<const std::vector<chat::Whispered>>();
    std::vector<std::string> notices;  // newest last
    std::uint64_t notices_total = 0;   // received ever: a new one shows even when notices is full
    std::string last_error;            // the newest error after login, explained
    std::uint64_t error_serial = 0;    // changes with each new error
};
using ViewPtr = std::shared_ptr<const ClientView>;

// What the user asks for.
struct Connect {
    std::string host;
    std::uint16_t port = 0;
    std::string nick, password;
    std::vector<std::string> rooms = {"lobby"};
    bool keep_trying = false;  // retry while the server is not there (clients started with it)
    bool tls = false;          // over TLS (checked as ControllerOptions says)
};
struct Disconnect {};
struct JoinRoom {
    std::string room;
};
struct LeaveRoom {
    std::string room;
};
struct SayText {
    std::string room, text;
};
struct WhisperText {
    std::string to, text;
};
struct MovePiece {
    std::string room;
    int x = 0, y = 0;
};
struct RefreshRooms {};
using Command = std::variant<Connect, Disconnect, JoinRoom, LeaveRoom, SayText, WhisperText,
                             MovePiece, RefreshRooms>;

class ClientModel {
  public:
    // UI thread, once per frame: hands over `commands` (left empty), returns the newest view.
    ViewPtr exchange(std::vector<Command>& commands);

    // Network side.
    void publish(ViewPtr view);
    // Waits until commands arrive, poke() or stop() is called, or `deadline` passes.
    std::vector<Command> wait(std::chrono::steady_clock::time_point deadline);
    void poke();  // something changed: the waiting side should look
    void stop();
    bool stopping() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    ViewPtr view_ = std::make_shared<const ClientView>();
    std::vector<Command> commands_;
    bool poked_ = false, stop_ = false;
};

}  // namespace client_gui
