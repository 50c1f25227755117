#include <imgui.h>

#include <string>

#include "gui_common/test_hooks.hpp"
#include "panels.hpp"

namespace server_gui {

void NoticePanel::draw(const Snapshot& snap, std::vector<Command>& commands) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Notice");
    ImGui::SameLine();
    ImGui::BeginDisabled(!snap.running);
    const float button = ImGui::CalcTextSize("Broadcast").x + ImGui::GetStyle().FramePadding.x * 2;
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - button -
                            ImGui::GetStyle().ItemSpacing.x);
    bool send = ImGui::InputTextWithHint("##notice", "text every session receives as NOTICE", text_,
                                         sizeof text_, ImGuiInputTextFlags_EnterReturnsTrue);
    gui_common::test_hooks::report_item("notice_text");
    ImGui::SameLine();
    send |= ImGui::Button("Broadcast");
    gui_common::test_hooks::report_item("notice_button");
    ImGui::EndDisabled();
    if (send && text_[0] != '\0') {
        commands.push_back(ops::Notice{text_});
        text_[0] = '\0';
    }
}

}  // namespace server_gui
