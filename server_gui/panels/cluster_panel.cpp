#include <imgui.h>

#include <chrono>
#include <string>

#include "gui_common/test_hooks.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

// "1.2 s ago" from a Unix time in ms (heartbeats come every 2 s; past 20 s a node is dead).
std::string ago(std::uint64_t unix_ms) {
    if (unix_ms == 0) return "never";
    const std::uint64_t now = now_ms();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s ago",
                  now > unix_ms ? static_cast<double>(now - unix_ms) / 1000.0 : 0.0);
    return buf;
}

void draw_link(const chat::ClusterStatus& c) {
    ImGui::Text("Cluster: node %s", c.node.c_str());
    ImGui::SameLine();
    if (c.up) {
        ImGui::TextColored(ImVec4(0.45f, 0.85f, 0.45f, 1), "Redis up");
    } else {
        ImGui::TextColored(ImVec4(0.95f, 0.4f, 0.35f, 1), "Redis DOWN");
    }
    if (c.rtt_ms >= 0)
        ImGui::TextDisabled("%s, round trip %.2f ms, %llu reconnects", c.redis.c_str(), c.rtt_ms,
                            static_cast<unsigned long long>(c.reconnects));
    else
        ImGui::TextDisabled("%s, no round trip yet", c.redis.c_str());
    if (!c.up && !c.last_error.empty()) ImGui::TextWrapped("last error: %s", c.last_error.c_str());
}

void draw_nodes(const chat::ClusterStatus& c) {
    ImGui::TextDisabled("%zu nodes, %u sessions and %u rooms in the cluster", c.nodes.size(),
                        c.sessions, c.rooms);
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("nodes", 3, flags)) return;
    ImGui::TableSetupColumn("node");
    ImGui::TableSetupColumn("sessions");
    ImGui::TableSetupColumn("last heartbeat");
    ImGui::TableHeadersRow();
    for (const auto& n : c.nodes) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        if (n.self)
            ImGui::Text("%s (this node)", n.name.c_str());
        else
            ImGui::TextUnformatted(n.name.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%u", n.sessions);
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(ago(n.last_heartbeat_ms).c_str());
    }
    ImGui::EndTable();
}

// The rooms this node serves, at the point of the room's order it has delivered.
void draw_rooms(const Snapshot& snap) {
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("cluster_rooms", 4, flags)) return;
    ImGui::TableSetupColumn("room served here");
    ImGui::TableSetupColumn("epoch");
    ImGui::TableSetupColumn("next seq");
    ImGui::TableSetupColumn("members");
    ImGui::TableHeadersRow();
    for (const auto& room : snap.rooms) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(room.name.c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%016llx", static_cast<unsigned long long>(room.epoch));
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%llu", static_cast<unsigned long long>(room.next_seq));
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%zu", room.members.size());
    }
    ImGui::EndTable();
}

}  // namespace

void draw_cluster_panel(const Snapshot& snap) {
    const chat::ClusterStatus& c = snap.cluster;
    draw_link(c);
    draw_nodes(c);
    ImGui::Spacing();
    draw_rooms(snap);
    if (gui_common::test_hooks::enabled()) {
        std::string nodes;
        for (const auto& n : c.nodes) nodes += (nodes.empty() ? "" : ",") + n.name;
        gui_common::test_hooks::report_keyed(
            "cluster", "up=" + std::to_string(c.up ? 1 : 0) + " nodes=" + nodes +
                           " sessions=" + std::to_string(c.sessions));
    }
}

}  // namespace server_gui
