// Picks the UI font: a CJK-capable system font with ImGui's Korean glyph ranges when one is
// installed, else ImGui's built-in ASCII font. Says which in the log.
#pragma once

#include <string>

namespace server_gui {

struct FontChoice {
    std::string name;  // what was loaded, for the log and the status line
    std::string path;  // empty for the built-in font
    bool korean = false;
};

// Call after ImGui::CreateContext() and before the renderer builds the font atlas.
FontChoice load_fonts(float pixel_size);

}  // namespace server_gui
