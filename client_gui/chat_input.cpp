#include "chat_input.hpp"

#include <ctime>

#include "chat/protocol.hpp"
#include "chat/text_rules.hpp"

namespace client_gui {
namespace {

// Splits off the first space-separated word of `s` (after leading spaces).
std::string take_word(std::string& s) {
    const std::size_t start = s.find_first_not_of(' ');
    if (start == std::string::npos) {
        s.clear();
        return {};
    }
    const std::size_t end = s.find(' ', start);
    std::string word = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    s = end == std::string::npos ? std::string() : s.substr(end + 1);
    return word;
}

ChatInput checked_text(std::string text, std::string to) {
    if (text.empty()) return InputProblem{"Nothing to send."};
    if (text.size() > chat::kMaxTextBytes)
        return InputProblem{"Too long: " + std::to_string(text.size()) + " bytes, the limit is " +
                            std::to_string(chat::kMaxTextBytes) + "."};
    if (!chat::is_clean_str(text, true))
        return InputProblem{"The text has characters the protocol does not allow."};
    if (to.empty()) return SayInput{std::move(text)};
    return WhisperInput{std::move(to), std::move(text)};
}

}  // namespace

ChatInput parse_chat_input(const std::string& line, const std::string& whisper_to) {
    if (line.rfind("//", 0) == 0) return checked_text(line.substr(1), whisper_to);  // a literal /
    if (line.empty() || line[0] != '/') return checked_text(line, whisper_to);
    std::string rest = line.substr(1);
    const std::string command = take_word(rest);
    if (command == "w" || command == "msg" || command == "whisper") {
        const std::string to = take_word(rest);
        if (to.empty()) return InputProblem{"Usage: /w NICK TEXT"};
        if (!chat::is_valid_nick(to)) return InputProblem{"'" + to + "' is not a valid nick."};
        return checked_text(rest, to);
    }
    if (command == "join" || command == "j") {
        const std::string room = take_word(rest);
        if (room.empty()) return InputProblem{"Usage: /join ROOM"};
        if (!chat::is_valid_room(room))
            return InputProblem{"'" + room +
                                "' is not a valid room name (1 to 32 bytes, no spaces)."};
        return JoinInput{room};
    }
    if (command == "leave" || command == "part") return LeaveInput{take_word(rest)};
    return InputProblem{"Unknown command /" + command + " (try /w NICK TEXT, /join ROOM, /leave)."};
}

std::size_t text_bytes(const std::string& line) {
    if (line.rfind("//", 0) == 0) return line.size() - 1;
    if (line.rfind("/w ", 0) == 0 || line.rfind("/msg ", 0) == 0 ||
        line.rfind("/whisper ", 0) == 0) {
        std::string rest = line.substr(1);
        take_word(rest);
        take_word(rest);
        return rest.size();
    }
    return line.size();
}

std::string clock_time(std::uint64_t server_time_us) {
    const std::time_t t = static_cast<std::time_t>(server_time_us / 1000000);
    const std::tm* local = std::localtime(&t);  // UI thread only: its static buffer is fine
    char buf[16] = "--:--:--";
    if (local) std::strftime(buf, sizeof buf, "%H:%M:%S", local);
    return buf;
}

}  // namespace client_gui
