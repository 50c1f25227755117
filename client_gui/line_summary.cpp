#include "line_summary.hpp"

namespace client_gui {

std::string summarise_lines(const std::deque<chat::ChatLine>& lines) {
    std::string runs;
    std::uint64_t first = 0, last = 0;
    int gaps = 0, dividers = 0;
    auto close_run = [&] {
        if (first == 0) return;
        runs += (runs.empty() ? "" : ",") + std::to_string(first);
        if (last != first) runs += "-" + std::to_string(last);
    };
    for (const auto& line : lines) {
        gaps += line.kind == chat::ChatLine::Kind::Gap;
        dividers += line.kind == chat::ChatLine::Kind::Divider;
        if (line.kind != chat::ChatLine::Kind::Message) continue;
        if (first != 0 && line.seq == last + 1) {
            last = line.seq;
            continue;
        }
        close_run();
        first = last = line.seq;
    }
    close_run();
    return "seqs=" + (runs.empty() ? std::string("-") : runs) + " gaps=" + std::to_string(gaps) +
           " dividers=" + std::to_string(dividers);
}

}  // namespace client_gui
