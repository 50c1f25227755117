#include "test_hooks.hpp"

#include <imgui.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace server_gui::test_hooks {
namespace {

int origin_x = 0, origin_y = 0;
std::map<std::string, std::string> last_reported;  // UI thread only
std::string last_state;

}  // namespace

bool enabled() {
    static const bool on = [] {
        const char* v = std::getenv("NETCHAT_GUI_TEST");
        return v && std::string(v) == "1";
    }();
    return on;
}

void set_window_origin(int x, int y) {
    origin_x = x;
    origin_y = y;
}

void report_item(const std::string& name) {
    if (!enabled()) return;
    const ImVec2 min = ImGui::GetItemRectMin();
    const ImVec2 max = ImGui::GetItemRectMax();
    report_rect(name, min.x, min.y, max.x - min.x, max.y - min.y);
}

void report_rect(const std::string& name, float x, float y, float w, float h) {
    if (!enabled()) return;
    char line[256];
    std::snprintf(line, sizeof line, "widget %s %d %d %d %d", name.c_str(),
                  origin_x + static_cast<int>(std::lround(x)),
                  origin_y + static_cast<int>(std::lround(y)), static_cast<int>(std::lround(w)),
                  static_cast<int>(std::lround(h)));
    std::string& last = last_reported[name];
    if (last == line) return;
    last = line;
    std::printf("%s\n", line);
    std::fflush(stdout);
}

void report_state(const std::string& text) {
    if (!enabled() || text == last_state) return;
    last_state = text;
    std::printf("state %s\n", text.c_str());
    std::fflush(stdout);
}

}  // namespace server_gui::test_hooks
