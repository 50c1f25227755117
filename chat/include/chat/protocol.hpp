// Wire protocol version 1, revision 2 (docs/protocol.md): message types, error codes, limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chat {

inline constexpr std::uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 4;
inline constexpr std::size_t kMaxFrame = 65535;
inline constexpr std::size_t kMaxNickBytes = 24;
inline constexpr std::size_t kMaxRoomBytes = 32;
inline constexpr std::size_t kMaxTextBytes = 1024;
inline constexpr int kBoardSize = 8;

enum class MsgType : std::uint16_t {
    Hello = 0x0001,
    Welcome = 0x0002,
    Error = 0x0003,
    Bye = 0x0004,
    Notice = 0x0005,
    Join = 0x0010,
    Joined = 0x0011,
    Leave = 0x0012,
    Left = 0x0013,
    RoomEvent = 0x0014,
    ListRooms = 0x0015,
    Rooms = 0x0016,
    Resume = 0x0017,   // revision 2
    Resumed = 0x0018,  // revision 2
    Say = 0x0020,
    Message = 0x0021,
    Whisper = 0x0022,
    Whispered = 0x0023,
    Move = 0x0030,
    Board = 0x0031,
    Ping = 0x0040,
    Pong = 0x0041,
    Echo = 0x0042,
    InfoReq = 0x0050,
    Info = 0x0051,
};

enum class ErrorCode : std::uint16_t {
    None = 0,
    BadFrame = 1,
    UnknownType = 2,
    Malformed = 3,
    BadUtf8 = 4,
    NotLoggedIn = 5,
    AlreadyLoggedIn = 6,
    VersionUnsupported = 7,
    NickInvalid = 8,
    NickTaken = 9,
    BadPassword = 10,
    ServerFull = 11,
    NotInRoom = 12,
    NoSuchUser = 13,
    TooLong = 14,
    RateLimited = 15,
    Timeout = 16,
    RoomInvalid = 17,
    Unavailable = 18,  // revision 2: the shared state of a cluster cannot be reached
};

enum class RoomEventKind : std::uint8_t { Joined = 1, Left = 2 };

std::string_view error_name(ErrorCode code);
std::string_view type_name(std::uint16_t type);  // "" when not in the table
bool is_client_type(std::uint16_t type);         // a type a client may send
bool allowed_before_hello(std::uint16_t type);

}  // namespace chat
