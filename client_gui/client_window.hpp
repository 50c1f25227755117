// The layout of the client window: the connect panel until logged in; then the operator's
// notice on top, rooms on the left, a tab per joined room and per whisper partner, and the
// status bar at the bottom.
#pragma once

#include <string>
#include <vector>

#include "client_model.hpp"
#include "ui_state.hpp"

namespace client_gui {

class ClientWindow {
  public:
    ClientWindow(const ClientCommandLine& cl, std::string font_name);
    // Builds one frame from `view`; what the user asks for is appended to `commands`.
    void draw(const ClientView& view, std::vector<Command>& commands, double now);
    // For the test hooks and the title bar: the state in one line.
    std::string summary(const ClientView& view) const;

  private:
    void draw_chat(const ClientView& view, std::vector<Command>& commands);
    void draw_tabs(const ClientView& view, std::vector<Command>& commands);
    void follow_whispers(const ClientView& view);

    UiState ui_;
    std::string font_name_;
    std::vector<std::string> known_rooms_;  // to select a room's tab when it first appears
};

}  // namespace client_gui
