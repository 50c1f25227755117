#include <imgui.h>

#include <chrono>
#include <cmath>

#include "gui_common/test_hooks.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {
namespace {

ImVec4 link_colour(Link link) {
    switch (link) {
        case Link::Ready:
            return style::kGood;
        case Link::Retrying:
        case Link::Connecting:
        case Link::LoggingIn:
            return style::kWarn;
        default:
            return style::kError;
    }
}

std::string link_text(const ClientView& view) {
    const std::string where = view.host + ":" + std::to_string(view.port);
    switch (view.link) {
        case Link::Ready:
            return "connected to " + where + " as " + view.nick;
        case Link::Retrying: {
            const double left =
                std::chrono::duration<double>(view.retry_at - std::chrono::steady_clock::now())
                    .count();
            return "reconnecting to " + where + " in " +
                   std::to_string(static_cast<int>(std::ceil(std::fmax(0.0, left)))) +
                   " s (attempt " + std::to_string(view.attempt + 1) + ")";
        }
        case Link::Connecting:
            return "connecting to " + where + "...";
        case Link::LoggingIn:
            return "logging in to " + where + "...";
        case Link::Refused:
            return "refused by " + where;
        case Link::Idle:
            return "not connected";
    }
    return {};
}

}  // namespace

void draw_status_bar(const ClientView& view, UiState& ui, std::vector<Command>& commands,
                     const std::string& font_name) {
    (void)ui;
    ImGui::Separator();
    // A round lamp, then the words: the state reads at a glance.
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float r = ImGui::GetFontSize() * 0.3f;
    ImGui::GetWindowDrawList()->AddCircleFilled(
        ImVec2(at.x + r, at.y + ImGui::GetTextLineHeight() / 2), r,
        ImGui::ColorConvertFloat4ToU32(link_colour(view.link)));
    ImGui::Dummy(ImVec2(r * 2, ImGui::GetTextLineHeight()));
    ImGui::SameLine();
    ImGui::TextColored(link_colour(view.link), "%s", link_text(view).c_str());
    ImGui::SameLine();
    ImGui::TextColored(style::kDim, "| engine %s", view.engine.empty() ? "?" : view.engine.c_str());
    gui_common::test_hooks::report_item("status_engine");
    ImGui::SameLine();
    if (!view.tls)
        ImGui::TextColored(style::kDim, "| plaintext");
    else if (view.tls_version.empty())
        ImGui::TextColored(style::kDim, "| TLS");
    else
        ImGui::TextColored(view.tls_warning.empty() ? style::kGood : style::kWarn, "| %s %s%s",
                           view.tls_version.c_str(), view.tls_cipher.c_str(),
                           view.tls_warning.empty() ? "" : " (NOT verified)");
    gui_common::test_hooks::report_item("status_tls");
    ImGui::SameLine();
    if (view.rtt)
        ImGui::TextColored(style::kDim, "| RTT %.2f ms",
                           static_cast<double>(view.rtt->count()) / 1000.0);
    else
        ImGui::TextColored(style::kDim, "| RTT -");
    ImGui::SameLine();
    ImGui::TextColored(style::kDim, "| frames in %llu out %llu",
                       static_cast<unsigned long long>(view.frames_in),
                       static_cast<unsigned long long>(view.frames_out));
    ImGui::SameLine();
    if (ImGui::SmallButton("Disconnect")) commands.push_back(Disconnect{});
    if (!view.tls_warning.empty()) ImGui::TextColored(style::kWarn, "%s", view.tls_warning.c_str());
    if (!view.server_name.empty() || !font_name.empty())
        ImGui::TextDisabled("server %s | %s | font %s", view.server_name.c_str(),
                            view.resume ? "history: rooms resume where you left"
                                        : "no history (a revision 1 server): gaps are marked",
                            font_name.c_str());
}

void draw_notice_banner(const ClientView& view, UiState& ui) {
    if (view.notices.empty() || view.notices_total <= ui.notices_dismissed) return;
    const float width = ImGui::GetContentRegionAvail().x;
    ImGui::PushStyleColor(ImGuiCol_ChildBg, style::kNoticeBg);
    ImGui::BeginChild("notice_banner", ImVec2(width, ImGui::GetFrameHeightWithSpacing() + 4),
                      false);
    ImGui::SetCursorPos(ImVec2(6, 4));
    ImGui::TextColored(ImVec4(1, 0.95f, 0.8f, 1), "NOTICE from the operator: %s",
                       view.notices.back().c_str());
    gui_common::test_hooks::report_keyed("notice", view.notices.back());
    ImGui::SameLine(width - ImGui::GetFontSize() * 2);
    if (ImGui::SmallButton("x")) ui.notices_dismissed = view.notices_total;
    ImGui::EndChild();
    ImGui::PopStyleColor();
}

}  // namespace client_gui
