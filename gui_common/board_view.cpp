#include "gui_common/board_view.hpp"

#include <imgui.h>

#include <cfloat>

#include "chat/protocol.hpp"
#include "gui_common/format.hpp"

namespace gui_common {
namespace {

const ImU32 kLight = IM_COL32(70, 74, 86, 255);
const ImU32 kDark = IM_COL32(48, 51, 60, 255);
const ImU32 kFrame = IM_COL32(110, 115, 130, 255);
const ImU32 kInk = IM_COL32(20, 20, 24, 255);

void draw_grid(ImDrawList* draw, ImVec2 origin, float cell) {
    for (int y = 0; y < chat::kBoardSize; ++y)
        for (int x = 0; x < chat::kBoardSize; ++x) {
            const ImVec2 a(origin.x + x * cell, origin.y + y * cell);
            draw->AddRectFilled(a, ImVec2(a.x + cell, a.y + cell), (x + y) % 2 ? kDark : kLight);
        }
    const float side = cell * chat::kBoardSize;
    draw->AddRect(origin, ImVec2(origin.x + side, origin.y + side), kFrame);
}

void draw_piece(ImDrawList* draw, ImVec2 origin, float cell, const chat::Piece& piece, bool own) {
    const ImVec2 corner(origin.x + piece.x * cell, origin.y + piece.y * cell);
    const bool labelled = cell >= ImGui::GetFontSize() * 2.0f;
    // With a label the disc sits in the upper part of the cell and the nick below it.
    const float radius = cell * (labelled ? 0.3f : 0.42f);
    const ImVec2 center(corner.x + cell / 2,
                        corner.y + (labelled ? radius + cell * 0.06f : cell / 2));
    draw->AddCircleFilled(center, radius, color_for(piece.nick));
    if (own) draw->AddCircle(center, radius + 2.0f, IM_COL32(255, 255, 255, 255), 0, 2.0f);
    const std::string glyph = first_char(piece.nick);
    const ImVec2 size = ImGui::CalcTextSize(glyph.c_str());
    draw->AddText(ImVec2(center.x - size.x / 2, center.y - size.y / 2), kInk, glyph.c_str());
    if (!labelled) return;
    const float font = ImGui::GetFontSize() * 0.8f;
    const ImVec2 full = ImGui::GetFont()->CalcTextSizeA(font, FLT_MAX, 0.0f, piece.nick.c_str());
    const float left = corner.x + (full.x < cell ? (cell - full.x) / 2 : 1.0f);
    const ImVec4 clip(corner.x, corner.y, corner.x + cell, corner.y + cell);
    draw->AddText(ImGui::GetFont(), font, ImVec2(left, corner.y + cell - font - 1.0f),
                  IM_COL32(235, 235, 240, 255), piece.nick.c_str(), nullptr, 0.0f, &clip);
}

}  // namespace

std::optional<Cell> draw_board(const char* id, const std::vector<chat::Piece>& pieces, float cell,
                               const std::string& own_nick) {
    const float side = cell * chat::kBoardSize;
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw_grid(draw, origin, cell);

    const bool clicked = ImGui::InvisibleButton(id, ImVec2(side, side));
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const int mx = static_cast<int>((mouse.x - origin.x) / cell);
    const int my = static_cast<int>((mouse.y - origin.y) / cell);
    for (const auto& piece : pieces) {
        draw_piece(draw, origin, cell, piece, !own_nick.empty() && piece.nick == own_nick);
        if (hovered && piece.x == mx && piece.y == my)
            ImGui::SetTooltip("%s at (%d, %d)", piece.nick.c_str(), piece.x, piece.y);
    }
    const bool inside = mx >= 0 && my >= 0 && mx < chat::kBoardSize && my < chat::kBoardSize;
    if (clicked && inside) return Cell{mx, my};
    return std::nullopt;
}

}  // namespace gui_common
