#include <imgui.h>

#include "chat/text_rules.hpp"
#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {

void draw_rooms_sidebar(const ClientView& view, UiState& ui, std::vector<Command>& commands) {
    const bool ready = view.link == Link::Ready;
    ImGui::TextUnformatted("Rooms");
    ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 3.2f);
    ImGui::BeginDisabled(!ready);
    if (ImGui::SmallButton("refresh")) commands.push_back(RefreshRooms{});
    ImGui::EndDisabled();

    const float footer =
        ImGui::GetFrameHeightWithSpacing() * 2 + ImGui::GetTextLineHeightWithSpacing();
    ImGui::BeginChild("room_list", ImVec2(0, -footer), true);
    for (const auto& summary : view.room_list) {
        ImGui::PushID(summary.room.c_str());
        const bool joined = view.rooms.count(summary.room) > 0;
        const float button = ImGui::CalcTextSize("Leave").x + ImGui::GetStyle().FramePadding.x * 2;
        const std::string label = summary.room + "  (" + std::to_string(summary.members) + ")";
        // Clicking a joined room shows its tab; a double click joins one.
        if (ImGui::Selectable(label.c_str(), ui.current_tab == room_tab(summary.room),
                              ImGuiSelectableFlags_AllowDoubleClick,
                              ImVec2(ImGui::GetContentRegionAvail().x - button - 4, 0))) {
            if (joined)
                ui.select_tab = room_tab(summary.room);
            else if (ImGui::IsMouseDoubleClicked(0) && ready)
                commands.push_back(JoinRoom{summary.room});
        }
        ImGui::SameLine();
        ImGui::BeginDisabled(!ready);
        if (joined ? ImGui::SmallButton("Leave") : ImGui::SmallButton("Join")) {
            if (joined)
                commands.push_back(LeaveRoom{summary.room});
            else {
                commands.push_back(JoinRoom{summary.room});
                ui.select_tab = room_tab(summary.room);
            }
        }
        gui_common::test_hooks::report_item((joined ? "leave:" : "join:") + summary.room);
        ImGui::EndDisabled();
        ImGui::PopID();
    }
    if (view.room_list.empty()) ImGui::TextDisabled("(no rooms yet)");
    ImGui::EndChild();

    ImGui::TextDisabled("New room");
    ImGui::SetNextItemWidth(-1);
    bool join = ImGui::InputTextWithHint("##new_room", "name", ui.new_room, sizeof ui.new_room,
                                         ImGuiInputTextFlags_EnterReturnsTrue);
    gui_common::test_hooks::report_item("new_room");
    ImGui::BeginDisabled(!ready || ui.new_room[0] == '\0');
    join |= ImGui::Button("Join", ImVec2(-1, 0));
    ImGui::EndDisabled();
    if (join && ready && ui.new_room[0] != '\0') {
        if (chat::is_valid_room(ui.new_room)) {
            commands.push_back(JoinRoom{ui.new_room});
            ui.select_tab = room_tab(ui.new_room);
            ui.new_room[0] = '\0';
        } else {
            ImGui::OpenPopup("bad_room");
        }
    }
    if (ImGui::BeginPopup("bad_room")) {
        ImGui::TextColored(style::kError, "A room name is 1 to 32 bytes, no spaces.");
        ImGui::EndPopup();
    }
}

}  // namespace client_gui
