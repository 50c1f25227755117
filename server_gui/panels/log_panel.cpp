#include <imgui.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "panels.hpp"

namespace server_gui {
namespace {

ImVec4 level_color(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug:
            return ImVec4(0.6f, 0.6f, 0.65f, 1.0f);
        case spdlog::level::warn:
            return ImVec4(1.0f, 0.8f, 0.35f, 1.0f);
        case spdlog::level::err:
        case spdlog::level::critical:
            return ImVec4(1.0f, 0.45f, 0.4f, 1.0f);
        default:
            return ImVec4(0.9f, 0.9f, 0.92f, 1.0f);
    }
}

}  // namespace

void LogPanel::draw(float reserve_below) {
    // Pull only what is new; keep as many lines as the ring does.
    last_seq_ = ring_->read_since(last_seq_, lines_);
    if (lines_.size() > ring_->capacity())
        lines_.erase(lines_.begin(), lines_.begin() + static_cast<std::ptrdiff_t>(
                                                          lines_.size() - ring_->capacity()));

    ImGui::TextUnformatted("Log");
    ImGui::SameLine();
    static const char* const levels[] = {"trace", "debug", "info", "warn", "error", "critical"};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::Combo("##level", &min_level_, levels, IM_ARRAYSIZE(levels));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    ImGui::InputTextWithHint("##filter", "filter text", filter_, sizeof filter_);
    ImGui::SameLine();
    ImGui::Checkbox("follow", &follow_);
    ImGui::SameLine();
    if (ImGui::SmallButton("clear")) lines_.clear();

    // The filter is applied to the lines kept, then only the visible ones are submitted.
    std::vector<const LogLine*> shown;
    shown.reserve(lines_.size());
    for (const auto& line : lines_)
        if (static_cast<int>(line.level) >= min_level_ &&
            (filter_[0] == '\0' || line.text.find(filter_) != std::string::npos))
            shown.push_back(&line);

    ImGui::BeginChild("log_lines", ImVec2(0, -reserve_below), true,
                      ImGuiWindowFlags_HorizontalScrollbar);
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(shown.size()));
    while (clipper.Step())
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const LogLine& line = *shown[static_cast<std::size_t>(i)];
            ImGui::PushStyleColor(ImGuiCol_Text, level_color(line.level));
            ImGui::TextUnformatted(line.text.c_str());
            ImGui::PopStyleColor();
        }
    if (follow_ && ImGui::GetScrollY() < ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
    ImGui::EndChild();
}

}  // namespace server_gui
