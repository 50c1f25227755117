// One struct per message of the protocol (docs/protocol.md, "Messages").
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "chat/protocol.hpp"

namespace chat {

struct Hello {
    std::uint16_t version = kProtocolVersion;
    std::string nick, password;
};
struct Welcome {
    std::uint32_t session_id = 0;
    std::string nick, server_name, engine;
};
struct Error {
    ErrorCode code = ErrorCode::None;
    std::uint16_t in_reply_to = 0;
    std::string detail;
};
struct Bye {
    std::string reason;
};
struct Notice {
    std::string text;
};
struct Join {
    std::string room;
};
struct Joined {
    std::string room;
    std::uint64_t next_seq = 1;
    std::vector<std::string> members;
};
struct Leave {
    std::string room;
};
struct Left {
    std::string room;
};
struct RoomEvent {
    std::string room;
    RoomEventKind kind = RoomEventKind::Joined;
    std::string nick;
};
struct ListRooms {};
struct RoomSummary {
    std::string room;
    std::uint32_t members = 0;
};
struct Rooms {
    std::vector<RoomSummary> rooms;
};
struct Say {
    std::string room, text;
};
struct Message {
    std::string room;
    std::uint64_t seq = 0, server_time_us = 0;
    std::string from, text;
};
struct Whisper {
    std::string to, text;
};
struct Whispered {
    std::string from, to, text;
};
struct Move {
    std::string room;
    std::uint8_t x = 0, y = 0;
};
struct Piece {
    std::string nick;
    std::uint8_t x = 0, y = 0;
};
struct Board {
    std::string room;
    std::vector<Piece> pieces;
};
struct Ping {
    std::uint64_t token = 0;
};
struct Pong {
    std::uint64_t token = 0;
};
struct Echo {
    std::string body;
};  // opaque bytes
struct InfoReq {};
struct Info {
    std::string engine, platform;
    std::uint32_t sessions = 0, rooms = 0;
    std::uint64_t uptime_ms = 0, frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
};

using AnyMessage = std::variant<Hello, Welcome, Error, Bye, Notice, Join, Joined, Leave, Left,
                                RoomEvent, ListRooms, Rooms, Say, Message, Whisper, Whispered, Move,
                                Board, Ping, Pong, Echo, InfoReq, Info>;

}  // namespace chat
