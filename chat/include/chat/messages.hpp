// One struct per message of the protocol (docs/protocol.md, "Messages"). Each compares by
// value, so a decoded message can be checked against the one encoded.
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
    bool operator==(const Hello&) const = default;
};
struct Welcome {
    std::uint32_t session_id = 0;
    std::string nick, server_name, engine;
    bool operator==(const Welcome&) const = default;
};
struct Error {
    ErrorCode code = ErrorCode::None;
    std::uint16_t in_reply_to = 0;
    std::string detail;
    bool operator==(const Error&) const = default;
};
struct Bye {
    std::string reason;
    bool operator==(const Bye&) const = default;
};
struct Notice {
    std::string text;
    bool operator==(const Notice&) const = default;
};
struct Join {
    std::string room;
    bool operator==(const Join&) const = default;
};
struct Joined {
    std::string room;
    std::uint64_t next_seq = 1;
    std::vector<std::string> members;
    bool operator==(const Joined&) const = default;
};
struct Leave {
    std::string room;
    bool operator==(const Leave&) const = default;
};
struct Left {
    std::string room;
    bool operator==(const Left&) const = default;
};
struct RoomEvent {
    std::string room;
    RoomEventKind kind = RoomEventKind::Joined;
    std::string nick;
    bool operator==(const RoomEvent&) const = default;
};
struct ListRooms {
    bool operator==(const ListRooms&) const = default;
};
struct RoomSummary {
    std::string room;
    std::uint32_t members = 0;
    bool operator==(const RoomSummary&) const = default;
};
struct Rooms {
    std::vector<RoomSummary> rooms;
    bool operator==(const Rooms&) const = default;
};
struct Say {
    std::string room, text;
    bool operator==(const Say&) const = default;
};
struct Message {
    std::string room;
    std::uint64_t seq = 0, server_time_us = 0;
    std::string from, text;
    bool operator==(const Message&) const = default;
};
struct Whisper {
    std::string to, text;
    bool operator==(const Whisper&) const = default;
};
struct Whispered {
    std::string from, to, text;
    bool operator==(const Whispered&) const = default;
};
struct Move {
    std::string room;
    std::uint8_t x = 0, y = 0;
    bool operator==(const Move&) const = default;
};
struct Piece {
    std::string nick;
    std::uint8_t x = 0, y = 0;
    bool operator==(const Piece&) const = default;
};
struct Board {
    std::string room;
    std::vector<Piece> pieces;
    bool operator==(const Board&) const = default;
};
struct Ping {
    std::uint64_t token = 0;
    bool operator==(const Ping&) const = default;
};
struct Pong {
    std::uint64_t token = 0;
    bool operator==(const Pong&) const = default;
};
struct Echo {
    std::string body;
    bool operator==(const Echo&) const = default;
};  // opaque bytes
struct InfoReq {
    bool operator==(const InfoReq&) const = default;
};
struct Info {
    std::string engine, platform;
    std::uint32_t sessions = 0, rooms = 0;
    std::uint64_t uptime_ms = 0, frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    bool operator==(const Info&) const = default;
};

// Revision 2: join a room and ask for what was missed (docs/protocol.md, "History and resume").
struct Resume {
    std::string room;
    std::uint64_t epoch = 0;      // 0: none known (a fresh join asking for scrollback)
    std::uint64_t after_seq = 0;  // the last seq the client showed
    std::uint16_t max_replay = 0;
    bool operator==(const Resume&) const = default;
};
struct Resumed {
    std::string room;
    std::uint64_t epoch = 1;     // never 0
    std::uint64_t next_seq = 1;  // the first seq the member sees (replayed or live)
    std::uint64_t live_seq = 1;  // the seq of the next new message; next_seq <= live_seq
    std::vector<std::string> members;
    bool operator==(const Resumed&) const = default;
};

// New messages go last, so the index of every older one stays what it was (the fuzz corpora
// name messages by index).
using AnyMessage = std::variant<Hello, Welcome, Error, Bye, Notice, Join, Joined, Leave, Left,
                                RoomEvent, ListRooms, Rooms, Say, Message, Whisper, Whispered, Move,
                                Board, Ping, Pong, Echo, InfoReq, Info, Resume, Resumed>;

}  // namespace chat
