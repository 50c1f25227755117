// The layout of the server window: the control bar on top, sessions and rooms in the middle,
// traffic, engine internals and the log with the notice box at the bottom.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gui_model.hpp"
#include "log_sink.hpp"
#include "panels/panels.hpp"

namespace server_gui {

class ServerWindow {
  public:
    ServerWindow(const std::string& listen, std::uint16_t port, const std::string& password,
                 std::shared_ptr<LogRing> log, std::string font_name);
    // Builds one frame from `snap`; operator actions are appended to `commands`.
    void draw(const Snapshot& snap, std::vector<Command>& commands);
    // How long the previous frame took to build and render (CPU), shown in the footer.
    void set_frame_time(double ms) { frame_ms_ = ms; }

  private:
    ControlBar control_bar_;
    SessionsPanel sessions_;
    LogPanel log_;
    NoticePanel notice_;
    std::string font_name_;
    double frame_ms_ = 0;
};

}  // namespace server_gui
