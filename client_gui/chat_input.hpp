// What the user types into a chat box, read as a command: plain text is said in the room (or
// whispered in a whisper tab), "/w nick text" whispers, "/join room" and "/leave" move around.
// Checked here against the protocol's rules, so a mistake is shown before anything is sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

namespace client_gui {

struct SayInput {
    std::string text;
};
struct WhisperInput {
    std::string to, text;
};
struct JoinInput {
    std::string room;
};
struct LeaveInput {
    std::string room;  // empty: the current room
};
struct InputProblem {
    std::string text;  // shown under the box; nothing is sent
};
using ChatInput = std::variant<SayInput, WhisperInput, JoinInput, LeaveInput, InputProblem>;

// `whisper_to` is the partner of a whisper tab (plain text goes to them), empty in a room.
ChatInput parse_chat_input(const std::string& line, const std::string& whisper_to = "");

// The text the limit applies to: what would be sent as chat text for this line, in bytes.
std::size_t text_bytes(const std::string& line);

// "14:03:27", local time, for a MESSAGE's server_time_us.
std::string clock_time(std::uint64_t server_time_us);

}  // namespace client_gui
