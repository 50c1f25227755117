#include <imgui.h>

#include <set>

#include "chat_input.hpp"
#include "gui_common/format.hpp"
#include "gui_common/test_hooks.hpp"
#include "line_summary.hpp"
#include "panels.hpp"
#include "style.hpp"

namespace client_gui {
namespace {

constexpr std::size_t kShownLines = 500;  // older lines stay in memory but are not drawn

// The test hooks print each message the first time it is drawn, so a test can tell that the
// window showed it (not only that the network received it).
void report_shown(const std::string& room, const chat::ChatLine& line) {
    if (!gui_common::test_hooks::enabled()) return;
    static std::set<std::string> reported;  // UI thread only
    const std::string event =
        "shown " + room + " " + std::to_string(line.seq) + " " + line.from + ": " + line.text;
    if (reported.insert(event).second) gui_common::test_hooks::report_event(event);
}

// Gap and divider lines, once each, and the room's lines in one summary whenever they change:
// a test can tell that every message was drawn once, and where the markers are.
void report_marker(const std::string& room, const chat::ChatLine& line) {
    if (!gui_common::test_hooks::enabled()) return;
    static std::set<std::string> reported;  // UI thread only
    const std::string event =
        (line.kind == chat::ChatLine::Kind::Gap ? "gap " : "divider ") + room + " " + line.text;
    if (reported.insert(event).second) gui_common::test_hooks::report_event(event);
}

ImVec4 nick_colour(const std::string& nick) {
    return ImGui::ColorConvertU32ToFloat4(gui_common::color_for(nick));
}

}  // namespace

void draw_chat_lines(const std::string& room, const std::deque<chat::ChatLine>& lines,
                     const std::string& own_nick) {
    if (gui_common::test_hooks::enabled())
        gui_common::test_hooks::report_keyed("lines " + room, summarise_lines(lines));
    const std::size_t first = lines.size() > kShownLines ? lines.size() - kShownLines : 0;
    if (first > 0) ImGui::TextDisabled("(%zu older lines not shown)", first);
    ImGui::PushTextWrapPos(0.0f);
    for (std::size_t i = first; i < lines.size(); ++i) {
        const chat::ChatLine& line = lines[i];
        switch (line.kind) {
            case chat::ChatLine::Kind::Message: {
                ImGui::TextDisabled("%s", clock_time(line.server_time_us).c_str());
                ImGui::SameLine();
                ImGui::TextColored(nick_colour(line.from), "%s%s", line.from.c_str(),
                                   line.from == own_nick ? " (you)" : "");
                ImGui::SameLine(0, 0);
                ImGui::TextUnformatted(":");
                ImGui::SameLine();
                ImGui::TextUnformatted(line.text.c_str());
                report_shown(room, line);
                break;
            }
            case chat::ChatLine::Kind::Event:
                if (line.from.empty())
                    ImGui::TextColored(style::kWarn, "-- %s --", line.text.c_str());
                else
                    ImGui::TextColored(style::kDim, "-> %s %s", line.from.c_str(),
                                       line.text.c_str());
                break;
            case chat::ChatLine::Kind::Gap:
                ImGui::TextColored(style::kError, "-- %s --", line.text.c_str());
                report_marker(room, line);
                break;
            case chat::ChatLine::Kind::Divider:
                // Replayed history above, live below: a rule across the pane and a dim label.
                ImGui::Separator();
                ImGui::TextColored(style::kDim, "%s", line.text.c_str());
                ImGui::Separator();
                report_marker(room, line);
                break;
            case chat::ChatLine::Kind::Notice: {
                // A filled band across the pane: the operator's word is not to be missed.
                const ImVec2 at = ImGui::GetCursorScreenPos();
                const float width = ImGui::GetContentRegionAvail().x;
                const ImVec2 size =
                    ImGui::CalcTextSize(("NOTICE  " + line.text).c_str(), nullptr, false, width);
                ImGui::GetWindowDrawList()->AddRectFilled(
                    at, ImVec2(at.x + width, at.y + size.y),
                    ImGui::ColorConvertFloat4ToU32(style::kNoticeBg), 3.0f);
                ImGui::TextColored(ImVec4(1, 0.95f, 0.8f, 1), "NOTICE  %s", line.text.c_str());
                break;
            }
        }
    }
    ImGui::PopTextWrapPos();
}

}  // namespace client_gui
