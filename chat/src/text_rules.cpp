#include "chat/text_rules.hpp"

#include <cstdint>
#include <string>

namespace chat {
namespace {

// Decodes one code point at s[i]; returns its length, 0 when the sequence is invalid
// (overlong forms, surrogates and values past U+10FFFF included).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<std::uint8_t>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<std::uint8_t>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

bool is_control(char32_t cp) {
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

bool is_whitespace(char32_t cp) {
    switch (cp) {
        case 0x20:
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
        case 0x180E:
        case 0x200B:
        case 0xFEFF:
            return true;
        default:
            return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x2000 && cp <= 0x200A);
    }
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    char32_t cp;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = decode_utf8(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool is_clean_str(std::string_view s, bool allow_newline) {
    char32_t cp;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = decode_utf8(s, i, cp);
        if (n == 0) return false;
        if (cp < 0x20 && !(allow_newline && cp == '\n')) return false;
        i += n;
    }
    return true;
}

bool is_valid_name(std::string_view s, std::size_t max_bytes) {
    if (s.empty() || s.size() > max_bytes) return false;
    char32_t cp;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = decode_utf8(s, i, cp);
        if (n == 0 || is_control(cp) || is_whitespace(cp)) return false;
        i += n;
    }
    return true;
}

std::string chat_text_problem(std::string_view text) {
    if (text.empty()) return "the text is empty";
    if (text.size() > kMaxTextBytes)
        return "the text is " + std::to_string(text.size()) + " bytes; the limit is " +
               std::to_string(kMaxTextBytes);
    if (!is_valid_utf8(text)) return "the text is not valid UTF-8";
    if (!is_clean_str(text, true))
        return "the text holds a control character (only a newline is allowed)";
    return {};
}

std::string fold_nick(std::string_view nick) {
    std::string key(nick);
    for (char& c : key)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return key;
}

}  // namespace chat
