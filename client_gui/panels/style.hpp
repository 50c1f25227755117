// Colours the client window's parts agree on.
#pragma once

#include <imgui.h>

namespace client_gui::style {

inline const ImVec4 kError(1.0f, 0.45f, 0.4f, 1.0f);
inline const ImVec4 kGood(0.45f, 0.9f, 0.5f, 1.0f);
inline const ImVec4 kWarn(1.0f, 0.78f, 0.3f, 1.0f);
inline const ImVec4 kDim(0.62f, 0.62f, 0.68f, 1.0f);
inline const ImVec4 kNoticeBg(0.55f, 0.36f, 0.05f, 1.0f);
inline const ImVec4 kWhisper(0.78f, 0.62f, 1.0f, 1.0f);

}  // namespace client_gui::style
