#include <imgui.h>

#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {

void draw_whisper_tab(const ClientView& view, const std::string& partner, UiState& ui,
                      std::vector<Command>& commands) {
    const float box_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetTextLineHeightWithSpacing();
    ImGui::BeginChild("whispers", ImVec2(0, -box_h), true);
    ImGui::PushTextWrapPos(0.0f);
    std::size_t count = 0;
    for (const auto& w : *view.whispers) {
        const bool mine = w.from == ui.own_nick;
        if ((mine ? w.to : w.from) != partner) continue;
        ++count;
        ImGui::TextColored(style::kWhisper, "%s",
                           mine ? ("you -> " + w.to).c_str() : (w.from + " -> you").c_str());
        ImGui::SameLine();
        ImGui::TextUnformatted(w.text.c_str());
        if (!mine) gui_common::test_hooks::report_keyed("whisper " + partner, w.text);
    }
    if (count == 0)
        ImGui::TextDisabled("Whispers with %s show here; only the two of you see them.",
                            partner.c_str());
    ImGui::PopTextWrapPos();
    if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY() - ImGui::GetFontSize())
        ImGui::SetScrollHereY(1.0f);
    ImGui::EndChild();
    draw_chat_box(whisper_tab(partner), "", partner, ui, commands);
}

}  // namespace client_gui
