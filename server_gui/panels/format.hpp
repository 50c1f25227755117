// Number and time formatting shared by the panels.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace server_gui {

std::string human_bytes(double bytes);                              // "1.5 MiB"
std::string human_count(double n);                                  // "12.3k"
std::string human_duration(std::chrono::steady_clock::duration d);  // "1:02:03" / "4:05"
std::uint32_t color_for(const std::string& key);  // a stable, readable colour per nick
// The first UTF-8 character of `s` (for board pieces), empty if `s` is.
std::string first_char(const std::string& s);

}  // namespace server_gui
