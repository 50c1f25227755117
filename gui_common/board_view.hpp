// A room's 8x8 board as both windows draw it: a checkered grid with each piece as a disc in
// its owner's colour, labelled by nick. The server shows it small; the client clicks on it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chat/messages.hpp"

namespace gui_common {

struct Cell {
    int x = 0, y = 0;
};

// Draws the board at the cursor with square cells of `cell` pixels (whole nicks are written
// under the discs when the cells are large enough, else only their first character).
// `own_nick`'s piece gets a ring. Returns the cell clicked this frame, if any.
std::optional<Cell> draw_board(const char* id, const std::vector<chat::Piece>& pieces, float cell,
                               const std::string& own_nick = "");

}  // namespace gui_common
