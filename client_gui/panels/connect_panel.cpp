#include <imgui.h>

#include <chrono>
#include <cmath>

#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {
namespace {

bool busy(Link link) {
    return link == Link::Connecting || link == Link::LoggingIn || link == Link::Retrying;
}

void field(const char* label, const char* id, char* buf, std::size_t size, const char* hook,
           ImGuiInputTextFlags flags = 0) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    ImGui::SameLine(ImGui::GetFontSize() * 6);
    ImGui::SetNextItemWidth(-1);
    ImGui::InputText(id, buf, size, flags);
    gui_common::test_hooks::report_item(hook);
}

}  // namespace

void draw_connect_panel(const ClientView& view, UiState& ui, std::vector<Command>& commands) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float width = std::fmin(avail.x, ImGui::GetFontSize() * 26);
    ImGui::SetCursorPosX(ImGui::GetCursorPosX() + (avail.x - width) / 2);
    ImGui::SetCursorPosY(ImGui::GetCursorPosY() + avail.y * 0.12f);
    ImGui::BeginChild("connect", ImVec2(width, 0), false);

    ImGui::TextUnformatted("Connect to a netchat server");
    ImGui::Separator();
    ImGui::BeginDisabled(busy(view.link));
    field("Host", "##host", ui.host, sizeof ui.host, "connect_host");
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted("Port");
    ImGui::SameLine(ImGui::GetFontSize() * 6);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::InputInt("##port", &ui.port, 0, 0)) ui.port = ui.port < 1 ? 1 : ui.port;
    if (ui.port > 65535) ui.port = 65535;
    field("Nick", "##nick", ui.nick, sizeof ui.nick, "connect_nick");
    field("Password", "##password", ui.password, sizeof ui.password, "connect_password",
          ImGuiInputTextFlags_Password);
    ImGui::Checkbox("TLS", &ui.tls);
    gui_common::test_hooks::report_item("connect_tls");
    ImGui::SameLine();
    if (!ui.tls)
        ImGui::TextDisabled("plaintext: the chat and the password cross the network in clear");
    else if (ui.insecure)
        ImGui::TextColored(style::kWarn, "certificate NOT checked (--insecure)");
    else
        ImGui::TextDisabled("the certificate and host name are checked");
    ImGui::TextDisabled("Joins lobby after logging in.");
    const bool go = ImGui::Button("Connect", ImVec2(ImGui::GetFontSize() * 8, 0));
    gui_common::test_hooks::report_item("connect_button");
    ImGui::EndDisabled();
    if (go) {
        Connect c;
        c.host = ui.host;
        c.port = static_cast<std::uint16_t>(ui.port);
        c.nick = ui.nick;
        c.password = ui.password;
        c.rooms = ui.rooms_to_join;
        c.tls = ui.tls;
        commands.push_back(std::move(c));
    }

    if (busy(view.link)) {
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) commands.push_back(Disconnect{});
        if (view.link == Link::Retrying) {
            const auto left =
                std::chrono::duration<double>(view.retry_at - std::chrono::steady_clock::now());
            ImGui::TextColored(style::kWarn, "Trying again in %.0f s (attempt %d)...",
                               std::fmax(0.0, std::ceil(left.count())), view.attempt + 1);
        } else {
            ImGui::TextColored(style::kDim, "%s to %s:%u...",
                               view.link == Link::Connecting ? "Connecting" : "Logging in",
                               view.host.c_str(), static_cast<unsigned>(view.port));
        }
    }
    if (!view.problem.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(style::kError, "%s", view.problem.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::EndChild();
}

}  // namespace client_gui
