#include <imgui.h>

#include <string>

#include "gui_common/board_view.hpp"
#include "panels.hpp"

namespace server_gui {

void draw_rooms_panel(const Snapshot& snap) {
    ImGui::Text("Rooms (%llu)", static_cast<unsigned long long>(snap.rooms.size()));
    ImGui::BeginChild("rooms_list");
    int index = 0;
    for (const auto& room : snap.rooms) {
        ImGui::PushID(room.name.c_str());
        // The first rooms start open so their boards show without a click.
        ImGui::SetNextItemOpen(index < 2, ImGuiCond_Once);
        const bool open =
            ImGui::TreeNode("room", "%s  (%llu members, next seq %llu)", room.name.c_str(),
                            static_cast<unsigned long long>(room.members.size()),
                            static_cast<unsigned long long>(room.next_seq));
        if (open) {
            // A room of thousands would make one enormous line: name the first few.
            constexpr std::size_t kNamed = 40;
            std::string members;
            for (std::size_t i = 0; i < room.members.size() && i < kNamed; ++i)
                members += (i ? ", " : "") + room.members[i];
            if (room.members.size() > kNamed)
                members += " and " + std::to_string(room.members.size() - kNamed) + " more";
            ImGui::PushTextWrapPos(0.0f);
            ImGui::TextDisabled("%s", members.c_str());
            ImGui::PopTextWrapPos();
            gui_common::draw_board("board", room.board, ImGui::GetFontSize() * 1.1f);
            ImGui::TreePop();
        }
        ImGui::PopID();
        ++index;
    }
    ImGui::EndChild();
}

}  // namespace server_gui
