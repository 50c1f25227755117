// Lets an end-to-end test find widgets on screen so it can drive them with real input events
// (xdotool). Active only when NETCHAT_GUI_TEST=1: it pins the window to the top-left corner and
// prints "widget NAME X Y W H" (screen pixels) on stdout whenever a reported widget appears or
// moves, and "state KEY=VALUE ..." when what the window shows changes.
#pragma once

#include <string>

namespace server_gui::test_hooks {

bool enabled();
// The window's top-left corner on the screen, set once per frame.
void set_window_origin(int x, int y);
// Reports the last submitted ImGui item under `name`.
void report_item(const std::string& name);
// Reports a rectangle in ImGui screen coordinates (for widgets that open a popup).
void report_rect(const std::string& name, float x, float y, float w, float h);
// Prints "state TEXT" when TEXT differs from the last one.
void report_state(const std::string& text);

}  // namespace server_gui::test_hooks
