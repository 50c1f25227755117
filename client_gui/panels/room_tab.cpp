#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "chat/protocol.hpp"
#include "gui_common/board_view.hpp"
#include "gui_common/format.hpp"
#include "gui_common/keys.hpp"
#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {
namespace {

// Where our piece is: the server's BOARD, unless a move we sent is not reflected yet (arrow
// keys pressed faster than the round trip build on what we sent).
std::optional<gui_common::Cell> own_piece(const chat::RoomView& room, const UiState& ui) {
    if (auto it = ui.last_move.find(room.name);
        it != ui.last_move.end() && ui.now - it->second.at < 0.5)
        return gui_common::Cell{it->second.x, it->second.y};
    for (const auto& p : room.board)
        if (p.nick == ui.own_nick) return gui_common::Cell{p.x, p.y};
    return std::nullopt;
}

void move_to(const chat::RoomView& room, int x, int y, UiState& ui,
             std::vector<Command>& commands) {
    x = std::clamp(x, 0, chat::kBoardSize - 1);
    y = std::clamp(y, 0, chat::kBoardSize - 1);
    commands.push_back(MovePiece{room.name, x, y});
    ui.last_move[room.name] = {x, y, ui.now};
}

// Arrow keys move our piece while no text box has the keyboard (Escape or a click on the
// board takes it from the chat input).
void arrow_keys(const chat::RoomView& room, UiState& ui, std::vector<Command>& commands) {
    if (ImGui::GetIO().WantTextInput) return;
    int dx = 0, dy = 0;
    if (gui_common::key_pressed(ImGuiKey_LeftArrow)) dx = -1;
    if (gui_common::key_pressed(ImGuiKey_RightArrow)) dx = 1;
    if (gui_common::key_pressed(ImGuiKey_UpArrow)) dy = -1;
    if (gui_common::key_pressed(ImGuiKey_DownArrow)) dy = 1;
    if (dx == 0 && dy == 0) return;
    const auto at = own_piece(room, ui);
    if (!at) return move_to(room, dx < 0 ? 0 : dx, dy < 0 ? 0 : dy, ui, commands);
    if (at->x + dx < 0 || at->x + dx >= chat::kBoardSize || at->y + dy < 0 ||
        at->y + dy >= chat::kBoardSize)
        return;  // at the edge: nothing to send
    move_to(room, at->x + dx, at->y + dy, ui, commands);
}

void report_board(const chat::RoomView& room) {
    if (!gui_common::test_hooks::enabled()) return;
    std::vector<std::string> pieces;
    for (const auto& p : room.board)
        pieces.push_back(p.nick + "@" + std::to_string(p.x) + "," + std::to_string(p.y));
    std::sort(pieces.begin(), pieces.end());
    std::string text;
    for (const auto& p : pieces) text += (text.empty() ? "" : " ") + p;
    gui_common::test_hooks::report_keyed("board " + room.name, text.empty() ? "-" : text);
}

void draw_members(const chat::RoomView& room, UiState& ui, float height) {
    ImGui::TextDisabled("Members (%zu)", room.members.size());
    ImGui::BeginChild("members", ImVec2(0, height), true);
    for (const auto& nick : room.members) {
        const bool self = nick == ui.own_nick;
        ImGui::PushStyleColor(ImGuiCol_Text,
                              ImGui::ColorConvertU32ToFloat4(gui_common::color_for(nick)));
        const std::string label = self ? nick + " (you)" : nick;
        if (ImGui::Selectable(label.c_str(), false) && !self) open_whisper(ui, nick);
        ImGui::PopStyleColor();
        gui_common::test_hooks::report_item("member:" + room.name + ":" + nick);
        if (!self && ImGui::IsItemHovered())
            ImGui::SetTooltip("Click to whisper to %s", nick.c_str());
    }
    ImGui::EndChild();
}

}  // namespace

void draw_room_tab(const ClientView& view, const chat::RoomView& room, UiState& ui,
                   std::vector<Command>& commands) {
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& gui_style = ImGui::GetStyle();
    // A narrow window (three side by side on a 1280-pixel screen: scripts/cluster.sh) has the
    // board and the members under the messages; a wide one beside them.
    const bool narrow = avail.x < font * 28;
    // The board wants cells big enough to write nicks in; the messages get the rest.
    const float cell =
        narrow
            ? std::floor(std::clamp((avail.x - gui_style.WindowPadding.x * 2) / chat::kBoardSize,
                                    font * 1.2f, font * 1.8f))
            : std::floor(std::clamp((avail.x * 0.5f) / chat::kBoardSize, font * 1.6f, font * 2.6f));
    const float board_h = cell * chat::kBoardSize;
    const float right_w = narrow ? 0 : board_h + gui_style.WindowPadding.x * 2;
    const float below_h =
        narrow ? board_h + font * 3 + ImGui::GetTextLineHeightWithSpacing() * 4 : 0;
    const float box_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetTextLineHeightWithSpacing();

    ImGui::BeginGroup();
    ImGui::BeginChild("lines",
                      ImVec2(narrow ? avail.x : avail.x - right_w - gui_style.ItemSpacing.x,
                             avail.y - box_h - below_h),
                      true);
    draw_chat_lines(room.name, room.lines, ui.own_nick);
    // Follow the newest line unless the user scrolled up to read.
    if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - font) ImGui::SetScrollHereY(1.0f);
    ImGui::EndChild();
    draw_chat_box(room_tab(room.name), room.name, "", ui, commands, right_w);
    ImGui::EndGroup();

    if (!narrow) ImGui::SameLine();
    ImGui::BeginChild("side", ImVec2(0, 0), false);
    const float members_h = std::max(font * 3, ImGui::GetContentRegionAvail().y - board_h -
                                                   ImGui::GetTextLineHeightWithSpacing() * 4);
    draw_members(room, ui, members_h);
    ImGui::TextDisabled("Board: click a square, or arrow keys");
    const ImVec2 at = ImGui::GetCursorScreenPos();
    if (const auto clicked = gui_common::draw_board("board", room.board, cell, ui.own_nick))
        move_to(room, clicked->x, clicked->y, ui, commands);
    gui_common::test_hooks::report_rect("board:" + room.name, at.x, at.y, board_h, board_h);
    report_board(room);
    ImGui::TextDisabled("next seq %llu", static_cast<unsigned long long>(room.next_seq));
    if (room.missed) {
        ImGui::SameLine();
        ImGui::TextColored(style::kError, "| %llu missed",
                           static_cast<unsigned long long>(room.missed));
    }
    ImGui::EndChild();

    arrow_keys(room, ui, commands);
    (void)view;
}

}  // namespace client_gui
