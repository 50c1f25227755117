#include "gui_common/font_loader.hpp"

#include <imgui.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace gui_common {
namespace {

struct Candidate {
    std::string name, path;
    int index;  // face inside a .ttc collection
};

// Korean-first faces: for Noto Sans CJK the KR face is index 1 of the collection (JP, KR,
// SC, TC, HK), so Han characters take their Korean shapes.
std::vector<Candidate> candidates() {
#ifdef _WIN32
    const char* windir = std::getenv("WINDIR");
    const std::string fonts = std::string(windir ? windir : "C:\\Windows") + "\\Fonts\\";
    return {{"Malgun Gothic", fonts + "malgun.ttf", 0}, {"Gulim", fonts + "gulim.ttc", 0}};
#else
    return {
        {"Noto Sans CJK KR", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 1},
        {"Noto Sans CJK KR", "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 1},
        {"Noto Sans CJK KR", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 1},
        {"NanumGothic", "/usr/share/fonts/truetype/nanum/NanumGothic.ttf", 0},
        {"NanumGothic", "/usr/share/fonts/nanum/NanumGothic.ttf", 0},
    };
#endif
}

// ImGui before 1.92 bakes a fixed set of glyphs into its atlas, so the Korean ranges (Hangul
// syllables and jamo, ~11,000 glyphs) must be asked for; 1.92 and later (vcpkg) rasterise each
// glyph on first use and have made the range tables obsolete.
const ImWchar* korean_glyphs(ImFontAtlas& atlas) {
#ifdef IMGUI_HAS_TEXTURES
    (void)atlas;
    return nullptr;
#else
    return atlas.GetGlyphRangesKorean();
#endif
}

bool readable(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    std::fclose(f);
    return true;
}

}  // namespace

FontChoice load_fonts(float pixel_size) {
    ImGuiIO& io = ImGui::GetIO();
    // NETCHAT_GUI_FONT=ascii forces the fallback (to see what a machine without fonts shows).
    const char* force = std::getenv("NETCHAT_GUI_FONT");
    const bool ascii_only = force && std::string(force) == "ascii";
    if (!ascii_only) {
        for (const auto& c : candidates()) {
            if (!readable(c.path)) continue;
            ImFontConfig config;
            config.FontNo = c.index;
            config.OversampleH = 1;  // keeps an atlas of ~11,000 Hangul glyphs small
            config.OversampleV = 1;
            ImFont* font = io.Fonts->AddFontFromFileTTF(c.path.c_str(), pixel_size, &config,
                                                        korean_glyphs(*io.Fonts));
            if (!font) continue;
            spdlog::info("font: {} ({}), Korean glyphs available", c.name, c.path);
            return {c.name, c.path, true};
        }
    }
    io.Fonts->AddFontDefault();
    spdlog::info("font: no CJK font found{}, using ImGui's built-in ASCII font (Korean shows as ?)",
                 ascii_only ? " (NETCHAT_GUI_FONT=ascii)" : "");
    return {"ImGui default (ASCII)", "", false};
}

}  // namespace gui_common
