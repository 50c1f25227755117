#include <imgui.h>

#include <cstdio>
#include <string>

#include "gui_common/board_view.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

std::string bytes_text(std::uint64_t bytes) {
    char text[32];
    if (bytes >= (std::uint64_t{1} << 20))
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    else if (bytes >= 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
    else
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    return text;
}

}  // namespace

void draw_rooms_panel(const Snapshot& snap) {
    ImGui::Text("Rooms (%llu)", static_cast<unsigned long long>(snap.rooms.size()));
    // What RESUME can replay: all histories (rooms left empty keep theirs) against the limit.
    const chat::HistoryInfo& h = snap.history;
    ImGui::SameLine();
    ImGui::TextDisabled("history: %llu messages in %llu rooms, %s of %s (%llu per room)",
                        static_cast<unsigned long long>(h.messages),
                        static_cast<unsigned long long>(h.rooms), bytes_text(h.bytes).c_str(),
                        bytes_text(h.byte_limit).c_str(),
                        static_cast<unsigned long long>(h.per_room_limit));
    if (h.shared) {
        ImGui::SameLine();
        ImGui::TextDisabled("(kept in Redis for the cluster: this node's copy of its rooms)");
    }
    if (h.evicted_for_memory) {
        ImGui::SameLine();
        ImGui::TextDisabled("(%llu given up to the memory limit)",
                            static_cast<unsigned long long>(h.evicted_for_memory));
    }
    ImGui::BeginChild("rooms_list");
    int index = 0;
    for (const auto& room : snap.rooms) {
        ImGui::PushID(room.name.c_str());
        // The first rooms start open so their boards show without a click.
        ImGui::SetNextItemOpen(index < 2, ImGuiCond_Once);
        const bool open = ImGui::TreeNode(
            "room", "%s  (%llu members, next seq %llu, epoch %016llx, history %llu messages, %s)",
            room.name.c_str(), static_cast<unsigned long long>(room.members.size()),
            static_cast<unsigned long long>(room.next_seq),
            static_cast<unsigned long long>(room.epoch),
            static_cast<unsigned long long>(room.history_messages),
            bytes_text(room.history_bytes).c_str());
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
