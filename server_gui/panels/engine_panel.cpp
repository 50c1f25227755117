#include <imgui.h>

#include <string>

#include "format.hpp"
#include "netcore/engine_registry.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

void row(const char* label, const std::string& value) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextDisabled("%s", label);
    ImGui::TableSetColumnIndex(1);
    ImGui::TextUnformatted(value.c_str());
}

std::string per_second(double v) {
    return human_count(v) + "/s";
}

std::string ratio(double a, double b) {
    if (b <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", a / b);
    return buf;
}

}  // namespace

void draw_engine_panel(const Snapshot& snap) {
    const auto& e = snap.engine_stats;
    const auto& r = snap.engine_rates;
    ImGui::Text("Engine internals: %s", e.engine.empty() ? "(not running)" : e.engine.c_str());
    for (const auto& info : netcore::engines())
        if (info.name == e.engine) ImGui::TextDisabled("%s", std::string(info.model).c_str());

    if (!ImGui::BeginTable(
            "engine", 2,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp))
        return;
    const double frames =
        snap.traffic.empty() ? 0 : snap.traffic.back().frames_in + snap.traffic.back().frames_out;
    row("threads", std::to_string(e.threads));
    row("wake-ups",
        per_second(r.wakeups) + "  (" + human_count(static_cast<double>(e.wakeups)) + ")");
    row("events", per_second(r.events) + "  (" + human_count(static_cast<double>(e.events)) + ")");
    row("syscalls",
        per_second(r.syscalls) + "  (" + human_count(static_cast<double>(e.syscalls)) + ")");
    // The numbers that tell the models apart: how much each wake-up achieves, and how many
    // system calls a chat frame costs.
    row("events / wake-up", ratio(r.events, r.wakeups));
    row("syscalls / frame", ratio(r.syscalls, frames));
    for (const auto& [key, value] : e.details) row(key.c_str(), value);
    ImGui::EndTable();
}

}  // namespace server_gui
