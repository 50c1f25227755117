// What the client window remembers between frames that is not the chat itself: the connect
// form, the tabs, the text being typed in each tab, the last piece move sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace client_gui {

struct ClientCommandLine;

struct ChatBox {
    std::vector<char> text = std::vector<char>(4096, '\0');  // room past 1024 to show the limit
    std::string problem;                                     // why the last Enter sent nothing
};

struct SentMove {
    int x = 0, y = 0;
    double at = 0;  // GLFW time: arrow keys build on it until the server's BOARD catches up
};

struct UiState {
    explicit UiState(const ClientCommandLine& cl);

    // Connect form.
    char host[128] = {};
    int port = 7777;
    char nick[64] = {};
    char password[128] = {};
    bool tls = false;       // the TLS checkbox (--tls ticks it)
    bool insecure = false;  // --insecure: TLS checks nothing (said next to the box)
    std::vector<std::string> rooms_to_join;

    // Tabs: "room:NAME" or "whisper:NICK".
    std::string select_tab;  // to select on the next frame
    std::string current_tab;
    std::string focus_box;  // tab whose input takes the keyboard on the next frame
    std::vector<std::string> whisper_partners;
    std::map<std::string, std::size_t> whispers_read;  // per partner
    std::map<std::string, ChatBox> boxes;              // per tab

    std::map<std::string, SentMove> last_move;  // per room
    char new_room[64] = {};
    std::uint64_t notices_dismissed = 0;  // notices_total when the banner was closed
    std::uint64_t error_dismissed = 0;
    std::string own_nick;
    double now = 0;  // this frame's GLFW time
};

inline std::string room_tab(const std::string& room) {
    return "room:" + room;
}
inline std::string whisper_tab(const std::string& nick) {
    return "whisper:" + nick;
}

}  // namespace client_gui
