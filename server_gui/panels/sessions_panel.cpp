#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <string>

#include "gui_common/format.hpp"
#include "gui_common/test_hooks.hpp"
#include "panels.hpp"

namespace server_gui {
namespace {

enum Column {
    kId,
    kNick,
    kPeer,
    kRooms,
    kConnected,
    kFramesIn,
    kFramesOut,
    kBytesIn,
    kBytesOut,
    kSendQueue,
    kTls,
    kKick,
    kColumnCount
};

std::string rooms_text(const chat::SessionInfo& s) {
    std::string out;
    for (const auto& r : s.rooms) {
        if (!out.empty()) out += ", ";
        out += r;
    }
    return out;
}

// "TLSv1.3 TLS_AES_256_GCM_SHA384"; "handshake" while it is under way; "-" over plaintext.
std::string tls_text(const chat::SessionInfo& s) {
    if (!s.tls) return "-";
    if (s.tls_version.empty()) return "handshake";
    return s.tls_version + " " + s.tls_cipher;
}

// The same in the table's width: "1.3 AES_256_GCM" (TLS 1.3's "TLS_" and handshake hash
// dropped); the whole of it is the cell's tooltip.
std::string tls_cell(const chat::SessionInfo& s) {
    if (!s.tls || s.tls_version.empty()) return tls_text(s);
    const auto drop = [](const std::string& text, const std::string& prefix) {
        return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
    };
    std::string cipher = drop(s.tls_cipher, "TLS_");
    for (const char* hash : {"_SHA256", "_SHA384"})
        if (cipher.size() > 7 && cipher.compare(cipher.size() - 7, 7, hash) == 0)
            cipher.resize(cipher.size() - 7);
    return drop(s.tls_version, "TLSv") + " " + cipher;
}

// Negative, zero or positive like strcmp, for one column.
int compare(const chat::SessionInfo& a, const chat::SessionInfo& b, int column) {
    auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
    switch (column) {
        case kNick:
            return cmp(a.nick, b.nick);
        case kPeer:
            return cmp(a.peer, b.peer);
        case kRooms:
            return cmp(a.rooms.size(), b.rooms.size());
        case kConnected:
            return cmp(a.connected_for, b.connected_for);
        case kFramesIn:
            return cmp(a.frames_in, b.frames_in);
        case kFramesOut:
            return cmp(a.frames_out, b.frames_out);
        case kBytesIn:
            return cmp(a.bytes_in, b.bytes_in);
        case kBytesOut:
            return cmp(a.bytes_out, b.bytes_out);
        case kSendQueue:
            return cmp(a.send_queue, b.send_queue);
        case kTls:
            return cmp(tls_text(a), tls_text(b));
        default:
            return cmp(a.id, b.id);
    }
}

}  // namespace

void SessionsPanel::sort_rows(const Snapshot& snap) {
    order_.resize(snap.sessions.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    const auto& rows = snap.sessions;
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
        int c = compare(rows[a], rows[b], sort_column_);
        if (c == 0) c = compare(rows[a], rows[b], kId);  // a stable order between snapshots
        return sort_descending_ ? c > 0 : c < 0;
    });
    sorted_serial_ = snap.serial;
}

void SessionsPanel::draw(const Snapshot& snap, std::vector<Command>& commands) {
    ImGui::Text("Sessions (%llu)", static_cast<unsigned long long>(snap.sessions.size()));
    if (snap.cluster.enabled) {
        // A node holds only its own sessions: the others are on the other nodes.
        ImGui::SameLine();
        ImGui::TextDisabled(
            "all local to node %s; %u in the cluster", snap.cluster.node.c_str(),
            std::max<unsigned>(snap.cluster.sessions, static_cast<unsigned>(snap.sessions.size())));
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_Resizable | ImGuiTableFlags_Reorderable |
                                  ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("sessions", kColumnCount, flags)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    // Widths from sample text: fixed columns would otherwise size to the first rows seen,
    // which may be none.
    auto width_of = [](const char* sample) { return ImGui::CalcTextSize(sample).x; };
    const ImGuiTableColumnFlags num = ImGuiTableColumnFlags_PreferSortDescending;
    ImGui::TableSetupColumn("ID", ImGuiTableColumnFlags_DefaultSort, width_of("00000"), kId);
    ImGui::TableSetupColumn("Nick", ImGuiTableColumnFlags_WidthFixed, width_of("nickname_12"),
                            kNick);
    ImGui::TableSetupColumn("Peer", ImGuiTableColumnFlags_WidthFixed, width_of("127.0.0.1:65535"),
                            kPeer);
    ImGui::TableSetupColumn("Rooms", ImGuiTableColumnFlags_WidthStretch, 0, kRooms);
    ImGui::TableSetupColumn("Connected", num, 0, kConnected);
    ImGui::TableSetupColumn("Frames in", num, 0, kFramesIn);
    ImGui::TableSetupColumn("Frames out", num, 0, kFramesOut);
    ImGui::TableSetupColumn("Bytes in", num, 0, kBytesIn);
    ImGui::TableSetupColumn("Bytes out", num, 0, kBytesOut);
    ImGui::TableSetupColumn("Send queue", num, 0, kSendQueue);
    // Only when the server has a TLS listener: a plaintext server's table keeps its room.
    ImGui::TableSetupColumn(
        "TLS",
        ImGuiTableColumnFlags_WidthFixed | (snap.tls.empty() ? ImGuiTableColumnFlags_Disabled : 0),
        width_of("1.3 AES_256_GCM"), kTls);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_NoSort | ImGuiTableColumnFlags_WidthFixed,
                            width_of("Kick") + ImGui::GetStyle().FramePadding.x * 2, kKick);
    // Headers one by one (what TableHeadersRow does) so each can be reported to a test.
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (int column = 0; column < kColumnCount; ++column) {
        if (!ImGui::TableSetColumnIndex(column)) continue;
        const char* name = ImGui::TableGetColumnName(column);
        ImGui::TableHeader(name);
        if (gui_common::test_hooks::enabled() && name[0] != '\0') {
            std::string id = name;
            for (char& c : id) c = c == ' ' ? '_' : static_cast<char>(std::tolower(c));
            gui_common::test_hooks::report_item("header:" + id);
        }
    }

    // Sort once per snapshot or header click, not per frame: 5,000 rows stay cheap.
    ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
    bool resort = sorted_serial_ != snap.serial || order_.size() != snap.sessions.size();
    if (specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            sort_column_ = static_cast<int>(specs->Specs[0].ColumnUserID);
            sort_descending_ = specs->Specs[0].SortDirection == ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
        resort = true;
    }
    if (resort) sort_rows(snap);

    // Only the visible rows are submitted.
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(order_.size()));
    while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
            const auto& s = snap.sessions[order_[static_cast<std::size_t>(row)]];
            ImGui::TableNextRow();
            ImGui::PushID(static_cast<int>(s.id));
            ImGui::TableSetColumnIndex(kId);
            ImGui::Text("%llu", static_cast<unsigned long long>(s.id));
            ImGui::TableSetColumnIndex(kNick);
            if (s.nick.empty())
                ImGui::TextDisabled("(handshake)");
            else
                ImGui::TextUnformatted(s.nick.c_str());
            ImGui::TableSetColumnIndex(kPeer);
            ImGui::TextUnformatted(s.peer.c_str());
            ImGui::TableSetColumnIndex(kRooms);
            ImGui::TextUnformatted(rooms_text(s).c_str());
            ImGui::TableSetColumnIndex(kConnected);
            ImGui::TextUnformatted(gui_common::human_duration(s.connected_for).c_str());
            ImGui::TableSetColumnIndex(kFramesIn);
            ImGui::Text("%llu", static_cast<unsigned long long>(s.frames_in));
            ImGui::TableSetColumnIndex(kFramesOut);
            ImGui::Text("%llu", static_cast<unsigned long long>(s.frames_out));
            ImGui::TableSetColumnIndex(kBytesIn);
            ImGui::TextUnformatted(
                gui_common::human_bytes(static_cast<double>(s.bytes_in)).c_str());
            ImGui::TableSetColumnIndex(kBytesOut);
            ImGui::TextUnformatted(
                gui_common::human_bytes(static_cast<double>(s.bytes_out)).c_str());
            ImGui::TableSetColumnIndex(kSendQueue);
            ImGui::TextUnformatted(
                gui_common::human_bytes(static_cast<double>(s.send_queue)).c_str());
            if (ImGui::TableSetColumnIndex(kTls)) {
                const std::string tls = tls_text(s);
                ImGui::TextUnformatted(tls_cell(s).c_str());
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tls.c_str());
                if (s.tls) gui_common::test_hooks::report_keyed("tls:" + s.nick, tls);
            }
            ImGui::TableSetColumnIndex(kKick);
            // Kicking goes by nick, so a session still in its handshake cannot be kicked.
            ImGui::BeginDisabled(s.nick.empty());
            if (ImGui::SmallButton("Kick")) commands.push_back(ops::Kick{s.nick, {}});
            ImGui::EndDisabled();
            if (!s.nick.empty()) gui_common::test_hooks::report_item("kick:" + s.nick);
            ImGui::PopID();
        }
    }
    ImGui::EndTable();
}

}  // namespace server_gui
