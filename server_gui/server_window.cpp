#include "server_window.hpp"

#include <imgui.h>

namespace server_gui {

ServerWindow::ServerWindow(const std::string& listen, std::uint16_t port,
                           const std::string& password, std::shared_ptr<LogRing> log,
                           std::string font_name)
    : control_bar_(listen, port, password),
      log_(std::move(log)),
      font_name_(std::move(font_name)) {}

void ServerWindow::draw(const Snapshot& snap, std::vector<Command>& commands) {
    const ImGuiViewport* viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings |
                                   ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::Begin("netchat server", nullptr, flags);

    control_bar_.draw(snap, commands);
    ImGui::Separator();

    // Fractions of the space left, so the layout follows the window size.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const float top = avail.y * 0.56f;

    ImGui::BeginChild("sessions_panel", ImVec2(avail.x * 0.68f, top), true);
    sessions_.draw(snap, commands);
    ImGui::EndChild();
    ImGui::SameLine();
    if (snap.cluster.enabled) {  // the rooms above, the cluster below
        ImGui::BeginGroup();
        ImGui::BeginChild("rooms_panel", ImVec2(0, top * 0.5f), true);
        draw_rooms_panel(snap);
        ImGui::EndChild();
        ImGui::BeginChild("cluster_panel", ImVec2(0, top * 0.5f - ImGui::GetStyle().ItemSpacing.y),
                          true);
        draw_cluster_panel(snap);
        ImGui::EndChild();
        ImGui::EndGroup();
    } else {
        ImGui::BeginChild("rooms_panel", ImVec2(0, top), true);
        draw_rooms_panel(snap);
        ImGui::EndChild();
    }

    ImGui::BeginChild("traffic_panel", ImVec2(avail.x * 0.30f, 0), true);
    draw_traffic_panel(snap);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("engine_panel", ImVec2(avail.x * 0.25f, 0), true);
    draw_engine_panel(snap);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("log_panel", ImVec2(0, 0), true);
    const float notice_height = ImGui::GetFrameHeightWithSpacing() * 2 + spacing;
    log_.draw(notice_height);
    notice_.draw(snap, commands);
    ImGui::TextDisabled("font: %s | frame %.1f ms | %.0f fps", font_name_.c_str(), frame_ms_,
                        ImGui::GetIO().Framerate);
    ImGui::EndChild();

    ImGui::End();
}

}  // namespace server_gui
