#include "format.hpp"

#include <imgui.h>

#include <cstdio>

namespace server_gui {

std::string human_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024.0 && unit < 4) {
        bytes /= 1024.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return buf;
}

std::string human_count(double n) {
    char buf[32];
    if (n < 1000.0)
        std::snprintf(buf, sizeof buf,
                      n == static_cast<double>(static_cast<long long>(n)) ? "%.0f" : "%.1f", n);
    else if (n < 1e6)
        std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
    else if (n < 1e9)
        std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.1fG", n / 1e9);
    return buf;
}

std::string human_duration(std::chrono::steady_clock::duration d) {
    const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    const long long h = total / 3600, m = total / 60 % 60, s = total % 60;
    char buf[32];
    if (h > 0)
        std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
    else
        std::snprintf(buf, sizeof buf, "%lld:%02lld", m, s);
    return buf;
}

std::uint32_t color_for(const std::string& key) {
    std::uint32_t h = 2166136261u;  // FNV-1a: stable across runs, unlike std::hash
    for (unsigned char c : key) h = (h ^ c) * 16777619u;
    const float hue = static_cast<float>(h % 360) / 360.0f;
    float r, g, b;
    ImGui::ColorConvertHSVtoRGB(hue, 0.55f, 0.95f, r, g, b);
    return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, 1.0f));
}

std::string first_char(const std::string& s) {
    if (s.empty()) return {};
    const auto lead = static_cast<unsigned char>(s[0]);
    std::size_t len = 1;
    if (lead >= 0xF0)
        len = 4;
    else if (lead >= 0xE0)
        len = 3;
    else if (lead >= 0xC0)
        len = 2;
    return s.substr(0, len);
}

}  // namespace server_gui
