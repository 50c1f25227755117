#include <imgui.h>

#include <string>

#include "chat/protocol.hpp"
#include "format.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

// The room's 8x8 board: a checkered grid with each piece as a coloured disc bearing the first
// character of its owner's nick (hover for the whole nick).
void draw_board(const chat::RoomInfo& room) {
    const float cell = ImGui::GetFontSize() * 1.1f;
    const float side = cell * chat::kBoardSize;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImU32 light = IM_COL32(70, 74, 86, 255), dark = IM_COL32(48, 51, 60, 255);
    for (int y = 0; y < chat::kBoardSize; ++y)
        for (int x = 0; x < chat::kBoardSize; ++x) {
            const ImVec2 a(origin.x + x * cell, origin.y + y * cell);
            draw->AddRectFilled(a, ImVec2(a.x + cell, a.y + cell), (x + y) % 2 ? dark : light);
        }
    draw->AddRect(origin, ImVec2(origin.x + side, origin.y + side), IM_COL32(110, 115, 130, 255));

    ImGui::InvisibleButton("board", ImVec2(side, side));
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    for (const auto& piece : room.board) {
        const ImVec2 center(origin.x + (piece.x + 0.5f) * cell, origin.y + (piece.y + 0.5f) * cell);
        draw->AddCircleFilled(center, cell * 0.42f, color_for(piece.nick));
        const std::string glyph = first_char(piece.nick);
        const ImVec2 size = ImGui::CalcTextSize(glyph.c_str());
        draw->AddText(ImVec2(center.x - size.x / 2, center.y - size.y / 2),
                      IM_COL32(20, 20, 24, 255), glyph.c_str());
        if (hovered && mouse.x >= center.x - cell / 2 && mouse.x < center.x + cell / 2 &&
            mouse.y >= center.y - cell / 2 && mouse.y < center.y + cell / 2)
            ImGui::SetTooltip("%s at (%d, %d)", piece.nick.c_str(), piece.x, piece.y);
    }
}

}  // namespace

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
            draw_board(room);
            ImGui::TreePop();
        }
        ImGui::PopID();
        ++index;
    }
    ImGui::EndChild();
}

}  // namespace server_gui
