#include <imgui.h>

#include <algorithm>
#include <cstring>

#include "chat/protocol.hpp"
#include "chat_input.hpp"
#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {

void open_whisper(UiState& ui, const std::string& nick) {
    if (std::find(ui.whisper_partners.begin(), ui.whisper_partners.end(), nick) ==
        ui.whisper_partners.end())
        ui.whisper_partners.push_back(nick);
    ui.select_tab = whisper_tab(nick);
    ui.focus_box = whisper_tab(nick);
}

bool submit_line(const std::string& line, const std::string& room, const std::string& whisper_to,
                 UiState& ui, std::vector<Command>& commands, ChatBox& box) {
    const ChatInput input = parse_chat_input(line, whisper_to);
    if (auto* p = std::get_if<InputProblem>(&input)) {
        box.problem = p->text;
        return false;
    }
    box.problem.clear();
    if (auto* s = std::get_if<SayInput>(&input)) {
        if (room.empty()) {
            box.problem = "Not in a room.";
            return false;
        }
        commands.push_back(SayText{room, s->text});
        gui_common::test_hooks::report_event("sent " + room + " " + s->text);
    } else if (auto* w = std::get_if<WhisperInput>(&input)) {
        commands.push_back(WhisperText{w->to, w->text});
        if (w->to != whisper_to) open_whisper(ui, w->to);
    } else if (auto* j = std::get_if<JoinInput>(&input)) {
        commands.push_back(JoinRoom{j->room});
        ui.select_tab = room_tab(j->room);
    } else if (auto* l = std::get_if<LeaveInput>(&input)) {
        const std::string which = l->room.empty() ? room : l->room;
        if (which.empty()) {
            box.problem = "Leave which room? /leave ROOM";
            return false;
        }
        commands.push_back(LeaveRoom{which});
    }
    return true;
}

void draw_chat_box(const std::string& tab, const std::string& room, const std::string& whisper_to,
                   UiState& ui, std::vector<Command>& commands, float reserve_right) {
    ChatBox& box = ui.boxes[tab];
    const std::size_t used = text_bytes(box.text.data());
    const bool over = used > chat::kMaxTextBytes;

    if (ui.focus_box == tab) {
        ImGui::SetKeyboardFocusHere();
        ui.focus_box.clear();
    }
    const char* hint = whisper_to.empty() ? "Say something (Enter sends; /w NICK TEXT whispers)"
                                          : "Whisper (Enter sends)";
    const std::string counter = std::to_string(used) + "/" + std::to_string(chat::kMaxTextBytes);
    const float counter_w = ImGui::CalcTextSize("0000/1024").x + ImGui::GetStyle().ItemSpacing.x;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - counter_w - reserve_right);
    if (over) ImGui::PushStyleColor(ImGuiCol_FrameBg, ImVec4(0.45f, 0.12f, 0.12f, 1.0f));
    const bool enter =
        ImGui::InputTextWithHint(("##input_" + tab).c_str(), hint, box.text.data(), box.text.size(),
                                 ImGuiInputTextFlags_EnterReturnsTrue);
    if (over) ImGui::PopStyleColor();
    gui_common::test_hooks::report_item("input:" + tab);
    // What the box holds, so a test can check what its key events typed before Enter.
    gui_common::test_hooks::report_keyed("typing " + tab, box.text.data());
    ImGui::SameLine();
    // The limit shows while typing, before anything is sent.
    ImGui::TextColored(over ? style::kError : style::kDim, "%s", counter.c_str());

    if (enter) {
        if (submit_line(box.text.data(), room, whisper_to, ui, commands, box))
            box.text.assign(box.text.size(), '\0');
        ui.focus_box = tab;  // keep typing after Enter, like a chat should
    }
    if (over)
        ImGui::TextColored(style::kError, "Too long by %zu bytes: the limit is %zu.",
                           used - chat::kMaxTextBytes, chat::kMaxTextBytes);
    else if (!box.problem.empty())
        ImGui::TextColored(style::kError, "%s", box.problem.c_str());
}

}  // namespace client_gui
