#include "window_geometry.hpp"

#include <cstdio>

namespace gui_common {

bool parse_geometry(const std::string& text, WindowGeometry& out) {
    int w = 0, h = 0, x = 0, y = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%dx%d+%d+%d%c", &w, &h, &x, &y, &tail) == 4) {
        out.x = x;
        out.y = y;
    } else if (std::sscanf(text.c_str(), "%dx%d%c", &w, &h, &tail) != 2) {
        return false;
    }
    if (w < 200 || h < 150 || w > 10000 || h > 10000) return false;
    out.width = w;
    out.height = h;
    return true;
}

}  // namespace gui_common
