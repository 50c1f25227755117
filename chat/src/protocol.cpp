#include "chat/protocol.hpp"

namespace chat {

std::string_view error_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::None:
            return "none";
        case ErrorCode::BadFrame:
            return "bad_frame";
        case ErrorCode::UnknownType:
            return "unknown_type";
        case ErrorCode::Malformed:
            return "malformed";
        case ErrorCode::BadUtf8:
            return "bad_utf8";
        case ErrorCode::NotLoggedIn:
            return "not_logged_in";
        case ErrorCode::AlreadyLoggedIn:
            return "already_logged_in";
        case ErrorCode::VersionUnsupported:
            return "version_unsupported";
        case ErrorCode::NickInvalid:
            return "nick_invalid";
        case ErrorCode::NickTaken:
            return "nick_taken";
        case ErrorCode::BadPassword:
            return "bad_password";
        case ErrorCode::ServerFull:
            return "server_full";
        case ErrorCode::NotInRoom:
            return "not_in_room";
        case ErrorCode::NoSuchUser:
            return "no_such_user";
        case ErrorCode::TooLong:
            return "too_long";
        case ErrorCode::RateLimited:
            return "rate_limited";
        case ErrorCode::Timeout:
            return "timeout";
        case ErrorCode::RoomInvalid:
            return "room_invalid";
        case ErrorCode::Unavailable:
            return "unavailable";
    }
    return "unknown";
}

std::string_view type_name(std::uint16_t type) {
    switch (static_cast<MsgType>(type)) {
        case MsgType::Hello:
            return "HELLO";
        case MsgType::Welcome:
            return "WELCOME";
        case MsgType::Error:
            return "ERROR";
        case MsgType::Bye:
            return "BYE";
        case MsgType::Notice:
            return "NOTICE";
        case MsgType::Join:
            return "JOIN";
        case MsgType::Joined:
            return "JOINED";
        case MsgType::Leave:
            return "LEAVE";
        case MsgType::Left:
            return "LEFT";
        case MsgType::RoomEvent:
            return "ROOM_EVENT";
        case MsgType::ListRooms:
            return "LIST_ROOMS";
        case MsgType::Rooms:
            return "ROOMS";
        case MsgType::Resume:
            return "RESUME";
        case MsgType::Resumed:
            return "RESUMED";
        case MsgType::Say:
            return "SAY";
        case MsgType::Message:
            return "MESSAGE";
        case MsgType::Whisper:
            return "WHISPER";
        case MsgType::Whispered:
            return "WHISPERED";
        case MsgType::Move:
            return "MOVE";
        case MsgType::Board:
            return "BOARD";
        case MsgType::Ping:
            return "PING";
        case MsgType::Pong:
            return "PONG";
        case MsgType::Echo:
            return "ECHO";
        case MsgType::InfoReq:
            return "INFO_REQ";
        case MsgType::Info:
            return "INFO";
    }
    return "";
}

bool is_client_type(std::uint16_t type) {
    switch (static_cast<MsgType>(type)) {
        case MsgType::Hello:
        case MsgType::Bye:
        case MsgType::Join:
        case MsgType::Leave:
        case MsgType::ListRooms:
        case MsgType::Resume:
        case MsgType::Say:
        case MsgType::Whisper:
        case MsgType::Move:
        case MsgType::Ping:
        case MsgType::Pong:
        case MsgType::Echo:
        case MsgType::InfoReq:
            return true;
        default:
            return false;
    }
}

bool allowed_before_hello(std::uint16_t type) {
    switch (static_cast<MsgType>(type)) {
        case MsgType::Hello:
        case MsgType::Ping:
        case MsgType::Echo:
        case MsgType::InfoReq:
            return true;
        default:
            return false;
    }
}

}  // namespace chat
