#include <imgui.h>

#include <cstdio>
#include <cstring>
#include <variant>

#include "gui_common/format.hpp"
#include "gui_common/test_hooks.hpp"
#include "netcore/engine_registry.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

const ImVec4 kError(1.0f, 0.45f, 0.4f, 1.0f);
const ImVec4 kGood(0.45f, 0.9f, 0.5f, 1.0f);
const ImVec4 kDim(0.65f, 0.65f, 0.7f, 1.0f);

void copy_to(char* dst, std::size_t size, const std::string& src) {
    std::snprintf(dst, size, "%s", src.c_str());
}

}  // namespace

ControlBar::ControlBar(const std::string& listen, std::uint16_t port, const std::string& password)
    : port_(port) {
    copy_to(listen_, sizeof listen_, listen);
    copy_to(password_, sizeof password_, password);
}

void ControlBar::draw(const Snapshot& snap, std::vector<Command>& commands) {
    // Address, port and password apply when the server starts, so they are locked while it runs.
    ImGui::BeginDisabled(snap.running);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Listen");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    ImGui::InputText("##listen", listen_, sizeof listen_);
    ImGui::SameLine();
    ImGui::TextUnformatted("Port");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
    int shown_port = snap.running ? snap.port : port_;
    if (ImGui::InputInt("##port", &shown_port, 0, 0) && !snap.running)
        port_ = shown_port < 0 ? 0 : (shown_port > 65535 ? 65535 : shown_port);
    ImGui::SameLine();
    ImGui::TextUnformatted("Password");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    ImGui::InputText("##password", password_, sizeof password_, ImGuiInputTextFlags_Password);
    ImGui::EndDisabled();

    ImGui::SameLine();
    if (snap.running) {
        // Built in place: moving a temporary Command in makes GCC 12 for MinGW warn, falsely,
        // that the string members of the other alternatives may be uninitialised.
        if (ImGui::Button("Stop")) commands.emplace_back(std::in_place_type<StopServer>);
    } else if (ImGui::Button("Start")) {
        commands.push_back(StartServer{listen_, static_cast<std::uint16_t>(port_), password_,
                                       pending_engine_.empty() ? snap.engine : pending_engine_});
    }
    gui_common::test_hooks::report_item(snap.running ? "stop_button" : "start_button");

    ImGui::SameLine();
    ImGui::TextUnformatted("  Engine");
    ImGui::SameLine();
    draw_engine_combo(snap, commands);

    // Second line: what is going on.
    if (snap.running) {
        ImGui::TextColored(kGood, "serving on %s:%u%s%s", snap.address.c_str(),
                           static_cast<unsigned>(snap.port), snap.tls.empty() ? "" : " | ",
                           snap.tls.c_str());
        ImGui::SameLine();
        ImGui::Text("engine in use: %s", snap.engine.c_str());
        ImGui::SameLine();
        ImGui::TextColored(
            kDim, "| %u sessions | %u rooms | up %s", snap.totals.sessions, snap.totals.rooms,
            gui_common::human_duration(std::chrono::milliseconds(snap.totals.uptime_ms)).c_str());
    } else if (!snap.start_error.empty()) {
        ImGui::TextColored(kError, "not serving: %s", snap.start_error.c_str());
    } else {
        ImGui::TextColored(kDim, "stopped");
    }
    if (const auto& last = snap.last_result; !last.message.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(last.ok ? kDim : kError, "| last: %s", ops::to_text(last).c_str());
    }
}

void ControlBar::draw_engine_combo(const Snapshot& snap, std::vector<Command>& commands) {
    if (!pending_engine_.empty() &&
        (snap.engine == pending_engine_ || snap.serial >= pending_serial_ + 2))
        pending_engine_.clear();

    const float width = ImGui::GetFontSize() * 9;
    const ImVec2 at = ImGui::GetCursorScreenPos();
    gui_common::test_hooks::report_rect("engine_combo", at.x, at.y, width, ImGui::GetFrameHeight());

    ImGui::SetNextItemWidth(width);
    const std::string preview = pending_engine_.empty() ? snap.engine : pending_engine_ + "...";
    if (ImGui::BeginCombo("##engine", preview.c_str())) {
        for (const auto& info : netcore::engines()) {
            const std::string name(info.name);
            if (ImGui::Selectable(name.c_str(), name == snap.engine)) {
                commands.push_back(ops::SwitchEngine{name});
                pending_engine_ = name;
                pending_serial_ = snap.serial;
            }
            gui_common::test_hooks::report_item("engine_item:" + name);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", std::string(info.model).c_str());
        }
        ImGui::EndCombo();
    }
    if (!pending_engine_.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(kDim, "switching to %s", pending_engine_.c_str());
    }
}

}  // namespace server_gui
