// A window's size and place as both windows take it on their command line: --geometry WxH or
// WxH+X+Y (as X11 programs do). No GUI code: the windows' tested cores use it too.
#pragma once

#include <optional>
#include <string>

namespace gui_common {

struct WindowGeometry {
    int width = 0, height = 0;
    std::optional<int> x, y;  // unset: the window manager places it
};

// "640x800+10+20" or "800x600" into `out` (its place kept when the text has none); false when
// the text is neither or the size is outside 200x150..10000x10000.
bool parse_geometry(const std::string& text, WindowGeometry& out);

}  // namespace gui_common
