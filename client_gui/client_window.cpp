#include "client_window.hpp"

#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "client_command_line.hpp"
#include "gui_common/test_hooks.hpp"
#include "panels/panels.hpp"
#include "panels/style.hpp"

namespace client_gui {

UiState::UiState(const ClientCommandLine& cl)
    : port(cl.port), tls(cl.tls), insecure(cl.insecure), rooms_to_join(cl.rooms) {
    std::snprintf(host, sizeof host, "%s", cl.host.c_str());
    std::snprintf(nick, sizeof nick, "%s", cl.nick.c_str());
    std::snprintf(password, sizeof password, "%s", cl.password.c_str());
    if (rooms_to_join.empty()) rooms_to_join.push_back("lobby");
}

ClientWindow::ClientWindow(const ClientCommandLine& cl, std::string font_name)
    : ui_(cl), font_name_(std::move(font_name)) {}

void ClientWindow::draw(const ClientView& view, std::vector<Command>& commands, double now) {
    ui_.now = now;
    ui_.own_nick = view.nick;
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("netchat client", nullptr, flags);
    const bool show_chat =
        view.welcomed_once && view.link != Link::Idle && view.link != Link::Refused;
    if (show_chat)
        draw_chat(view, commands);
    else
        draw_connect_panel(view, ui_, commands);
    ImGui::End();
}

void ClientWindow::draw_chat(const ClientView& view, std::vector<Command>& commands) {
    draw_notice_banner(view, ui_);
    if (view.link == Link::Retrying) {
        ImGui::TextColored(style::kWarn,
                           "%s Reconnecting; each room resumes where you left it (what "
                           "the server no longer has is marked).",
                           view.problem.c_str());
    }
    if (!view.last_error.empty() && view.error_serial != ui_.error_dismissed) {
        ImGui::TextColored(style::kError, "%s", view.last_error.c_str());
        ImGui::SameLine();
        if (ImGui::SmallButton("ok")) ui_.error_dismissed = view.error_serial;
    }

    // Two lines, three when --insecure's warning is shown.
    const float status_h =
        ImGui::GetFrameHeightWithSpacing() * (view.tls_warning.empty() ? 2 : 3) + 4;
    const float avail_h = ImGui::GetContentRegionAvail().y - status_h;
    ImGui::BeginChild("sidebar", ImVec2(ImGui::GetFontSize() * 9, avail_h), true);
    draw_rooms_sidebar(view, ui_, commands);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("tabs_area", ImVec2(0, avail_h), false);
    draw_tabs(view, commands);
    ImGui::EndChild();
    draw_status_bar(view, ui_, commands, font_name_);
}

void ClientWindow::follow_whispers(const ClientView& view) {
    // A whisper from someone new opens their tab (not selected: the user may be typing).
    for (const auto& w : *view.whispers) {
        const std::string partner = w.from == view.nick ? w.to : w.from;
        if (std::find(ui_.whisper_partners.begin(), ui_.whisper_partners.end(), partner) ==
            ui_.whisper_partners.end())
            ui_.whisper_partners.push_back(partner);
    }
    // Rooms joined since the last frame get selected, so /join shows where one went.
    for (const auto& [name, room] : view.rooms)
        if (std::find(known_rooms_.begin(), known_rooms_.end(), name) == known_rooms_.end()) {
            known_rooms_.push_back(name);
            if (ui_.current_tab.empty() && ui_.select_tab.empty())  // the first room: lobby
                ui_.select_tab = room_tab(name);
        }
    std::erase_if(known_rooms_, [&](const std::string& r) { return view.rooms.count(r) == 0; });
}

void ClientWindow::draw_tabs(const ClientView& view, std::vector<Command>& commands) {
    follow_whispers(view);
    // Tabs are selected only on purpose (select_tab): a whisper arriving must not pull the
    // user out of the room they type in.
    if (!ImGui::BeginTabBar("tabs", ImGuiTabBarFlags_FittingPolicyScroll)) return;
    const std::string select = ui_.select_tab;
    bool select_seen = false;
    auto flags_for = [&](const std::string& id) {
        if (select != id) return ImGuiTabItemFlags_None;
        select_seen = true;
        return ImGuiTabItemFlags_SetSelected;
    };
    // Rooms, joined order as the server's map keeps them (by name).
    for (const auto& [name, room] : view.rooms) {
        const std::string id = room_tab(name);
        const std::string label = name + "###" + id;
        bool open = true;
        const bool shown = ImGui::BeginTabItem(label.c_str(), &open, flags_for(id));
        gui_common::test_hooks::report_item("tab:" + id);  // the tab itself is the last item
        if (shown) {
            ui_.current_tab = id;
            draw_room_tab(view, *room, ui_, commands);
            ImGui::EndTabItem();
        }
        if (!open) commands.push_back(LeaveRoom{name});  // closing a room's tab leaves it
    }
    for (std::size_t i = 0; i < ui_.whisper_partners.size(); ++i) {
        const std::string partner = ui_.whisper_partners[i];
        const std::string id = whisper_tab(partner);
        std::size_t count = 0;
        for (const auto& w : *view.whispers) count += (w.from == partner || w.to == partner);
        const bool unread = count > ui_.whispers_read[partner] && ui_.current_tab != id;
        const std::string label = "@" + partner + "###" + id;
        bool open = true;
        ImGuiTabItemFlags flags = flags_for(id);
        if (unread) flags |= ImGuiTabItemFlags_UnsavedDocument;  // a dot: something new
        const bool shown = ImGui::BeginTabItem(label.c_str(), &open, flags);
        gui_common::test_hooks::report_item("tab:" + id);
        if (shown) {
            ui_.current_tab = id;
            ui_.whispers_read[partner] = count;
            draw_whisper_tab(view, partner, ui_, commands);
            ImGui::EndTabItem();
        }
        if (!open) {
            ui_.whisper_partners.erase(ui_.whisper_partners.begin() +
                                       static_cast<std::ptrdiff_t>(i));
            --i;
        }
    }
    // Kept until the tab exists: a room's tab appears only when its JOINED arrives.
    if (select_seen && select == ui_.select_tab) ui_.select_tab.clear();
    ImGui::EndTabBar();
    if (view.rooms.empty() && ui_.whisper_partners.empty())
        ImGui::TextDisabled("In no room: join one from the list on the left.");
}

std::string ClientWindow::summary(const ClientView& view) const {
    std::string rooms;
    for (const auto& [name, room] : view.rooms) rooms += (rooms.empty() ? "" : ",") + name;
    return std::string("link=") + to_string(view.link) + " nick=" + view.nick +
           " engine=" + (view.engine.empty() ? "-" : view.engine) +
           " rooms=" + (rooms.empty() ? "-" : rooms) +
           " tab=" + (ui_.current_tab.empty() ? "-" : ui_.current_tab) + " tls=" +
           (!view.tls                  ? "off"
            : view.tls_version.empty() ? "on"
                                       : view.tls_version);
}

}  // namespace client_gui
