// A room's lines in one short text, for the window's test hooks: the message seqs in the order
// shown, as runs ("1-40" when every message from 1 to 40 is there once, in order; "1-40,35-41"
// when 35..40 were shown twice), and how many gap, divider and event lines there are.
#pragma once

#include <deque>
#include <string>

#include "chat/client_session.hpp"

namespace client_gui {

std::string summarise_lines(const std::deque<chat::ChatLine>& lines);

}  // namespace client_gui
