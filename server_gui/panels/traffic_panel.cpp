#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "format.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

const ImU32 kInColor = IM_COL32(90, 170, 255, 255);
const ImU32 kOutColor = IM_COL32(255, 170, 70, 255);

// Two series (in and out) on one plot sharing a scale from zero; the right edge is "now" and
// the plot spans the whole last minute even before it has filled.
void plot_in_out(const char* id, const std::vector<TrafficSample>& samples,
                 float TrafficSample::*in, float TrafficSample::*out, std::size_t capacity,
                 float height) {
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float width = ImGui::GetContentRegionAvail().x;
    ImGui::InvisibleButton(id, ImVec2(width, height));
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 end(origin.x + width, origin.y + height);
    draw->AddRectFilled(origin, end, ImGui::GetColorU32(ImGuiCol_FrameBg));

    float top = 1.0f;
    for (const auto& s : samples) top = std::max({top, s.*in, s.*out});
    top *= 1.1f;
    const float step = capacity > 1 ? width / static_cast<float>(capacity - 1) : width;
    auto point = [&](std::size_t i, float v) {
        const std::size_t slot = capacity - samples.size() + i;  // right-aligned
        return ImVec2(origin.x + step * static_cast<float>(slot),
                      end.y - 2.0f - (height - 4.0f) * (v / top));
    };
    for (const auto member : {in, out}) {
        const ImU32 color = member == in ? kInColor : kOutColor;
        for (std::size_t i = 1; i < samples.size(); ++i)
            draw->AddLine(point(i - 1, samples[i - 1].*member), point(i, samples[i].*member), color,
                          1.5f);
    }
    const std::string scale = human_count(top);
    draw->AddText(ImVec2(origin.x + 4, origin.y + 2), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                  scale.c_str());
}

void legend(const char* what, float in, float out, bool bytes) {
    auto fmt = [&](float v) { return bytes ? human_bytes(v) + "/s" : human_count(v) + "/s"; };
    ImGui::TextUnformatted(what);
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kInColor), "in %s", fmt(in).c_str());
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kOutColor), "out %s", fmt(out).c_str());
}

}  // namespace

void draw_traffic_panel(const Snapshot& snap) {
    ImGui::TextUnformatted("Traffic, last minute");
    const TrafficSample now = snap.traffic.empty() ? TrafficSample{} : snap.traffic.back();
    const std::size_t capacity =
        static_cast<std::size_t>(60.0f / (snap.sample_seconds > 0 ? snap.sample_seconds : 1.0f));
    const float height = std::max(
        40.0f,
        (ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() * 4) / 2.5f);

    legend("Frames", now.frames_in, now.frames_out, false);
    plot_in_out("frames_plot", snap.traffic, &TrafficSample::frames_in, &TrafficSample::frames_out,
                capacity, height);
    legend("Bytes ", now.bytes_in, now.bytes_out, true);
    plot_in_out("bytes_plot", snap.traffic, &TrafficSample::bytes_in, &TrafficSample::bytes_out,
                capacity, height);

    // CPU: the process as a whole (network threads, this UI and the renderer).
    std::vector<float> cpu;
    cpu.reserve(snap.traffic.size());
    float cpu_top = 100.0f;  // one core; more when several threads are busy
    for (const auto& s : snap.traffic) {
        cpu.push_back(s.cpu_percent);
        cpu_top = std::max(cpu_top, s.cpu_percent);
    }
    char overlay[64];
    std::snprintf(overlay, sizeof overlay, "CPU %.1f%% of one core", snap.cpu_percent);
    ImGui::PlotLines("##cpu", cpu.data(), static_cast<int>(cpu.size()), 0, overlay, 0.0f, cpu_top,
                     ImVec2(ImGui::GetContentRegionAvail().x, height / 2));
}

}  // namespace server_gui
