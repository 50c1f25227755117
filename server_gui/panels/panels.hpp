// The panels of the server window. Each draws from a snapshot and only queues commands; none
// of them touches the server directly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gui_model.hpp"
#include "log_sink.hpp"

namespace server_gui {

// Listen address, port, password, start/stop, engine dropdown, status.
class ControlBar {
  public:
    ControlBar(const std::string& listen, std::uint16_t port, const std::string& password);
    void draw(const Snapshot& snap, std::vector<Command>& commands);

  private:
    void draw_engine_combo(const Snapshot& snap, std::vector<Command>& commands);
    char listen_[64] = {};
    int port_ = 0;
    char password_[128] = {};
    std::string pending_engine_;  // chosen, not yet reported back by a snapshot
    std::uint64_t pending_serial_ = 0;
};

// One row per session, sortable, with a kick button per row.
class SessionsPanel {
  public:
    void draw(const Snapshot& snap, std::vector<Command>& commands);

  private:
    void sort_rows(const Snapshot& snap);
    std::vector<std::size_t> order_;  // row order into snap.sessions
    std::uint64_t sorted_serial_ = 0;
    int sort_column_ = 0;
    bool sort_descending_ = false;
};

// Rooms with their members and 8x8 boards.
void draw_rooms_panel(const Snapshot& snap);

// This node in its cluster (docs/cluster.md): the Redis link and its round trip, every node
// with its sessions and last heartbeat, each room's epoch and seq. Drawn only in a cluster.
void draw_cluster_panel(const Snapshot& snap);

// Frames/s and bytes/s in and out over the last minute, and the process' CPU use.
void draw_traffic_panel(const Snapshot& snap);

// What the engine reports about itself.
void draw_engine_panel(const Snapshot& snap);

// The spdlog output, filterable by level and text.
class LogPanel {
  public:
    explicit LogPanel(std::shared_ptr<LogRing> ring) : ring_(std::move(ring)) {}
    void draw(float reserve_below);  // leaves that much height under the log for others

  private:
    std::shared_ptr<LogRing> ring_;
    std::vector<LogLine> lines_;
    std::uint64_t last_seq_ = 0;
    int min_level_ = 0;  // spdlog::level::trace
    char filter_[128] = {};
    bool follow_ = true;
};

// A text box that broadcasts NOTICE to every session.
class NoticePanel {
  public:
    void draw(const Snapshot& snap, std::vector<Command>& commands);

  private:
    char text_[chat::kMaxTextBytes + 1] = {};  // a NOTICE holds at most 1024 bytes
};

}  // namespace server_gui
