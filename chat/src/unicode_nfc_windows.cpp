// to_nfc with Windows' NormalizeString (winnls.h, Normaliz.dll): UTF-8 to UTF-16, NFC, back.
#include <windows.h>

#include <vector>

#include "chat/unicode_nfc.hpp"

namespace chat {
namespace {

std::wstring widen(std::string_view utf8) {
    if (utf8.empty()) return {};
    const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                      static_cast<int>(utf8.size()), nullptr, 0);
    if (n <= 0) return {};
    std::wstring wide(static_cast<std::size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), static_cast<int>(utf8.size()),
                        wide.data(), n);
    return wide;
}

std::string narrow(const wchar_t* wide, int length) {
    const int n = WideCharToMultiByte(CP_UTF8, 0, wide, length, nullptr, 0, nullptr, nullptr);
    if (n <= 0) return {};
    std::string out(static_cast<std::size_t>(n), '\0');
    WideCharToMultiByte(CP_UTF8, 0, wide, length, out.data(), n, nullptr, nullptr);
    return out;
}

}  // namespace

std::string to_nfc(std::string_view utf8) {
    const std::wstring wide = widen(utf8);
    if (wide.empty()) return std::string(utf8);
    const int length = static_cast<int>(wide.size());
    // The first call estimates; the estimate may be short, and the call then says how much.
    int capacity = NormalizeString(NormalizationC, wide.data(), length, nullptr, 0);
    for (int attempt = 0; attempt < 4 && capacity > 0; ++attempt) {
        std::vector<wchar_t> out(static_cast<std::size_t>(capacity));
        const int n = NormalizeString(NormalizationC, wide.data(), length, out.data(), capacity);
        if (n > 0) return narrow(out.data(), n);
        if (GetLastError() != ERROR_INSUFFICIENT_BUFFER) break;
        capacity = -n;
    }
    return std::string(utf8);
}

}  // namespace chat
