// Key presses across ImGui versions: 1.86 (Debian) looks keys up through io.KeyMap, 1.87 and
// later (vcpkg on Windows) take ImGuiKey values directly.
#pragma once

#include <imgui.h>

namespace gui_common {

inline bool key_pressed(ImGuiKey key, bool repeat = true) {
#if IMGUI_VERSION_NUM >= 18700
    return ImGui::IsKeyPressed(key, repeat);
#else
    return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key), repeat);
#endif
}

}  // namespace gui_common
