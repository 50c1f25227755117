// The protocol's rules for strings: UTF-8 validity, forbidden characters, nick and room names.
#pragma once

#include <string>
#include <string_view>

#include "chat/protocol.hpp"

namespace chat {

bool is_valid_utf8(std::string_view s);
// Valid UTF-8 with no NUL and no C0 control character (but '\n' when allowed).
bool is_clean_str(std::string_view s, bool allow_newline);
// 1..max_bytes, no whitespace, no control characters (C0, DEL, C1).
bool is_valid_name(std::string_view s, std::size_t max_bytes);
inline bool is_valid_nick(std::string_view s) {
    return is_valid_name(s, kMaxNickBytes);
}
inline bool is_valid_room(std::string_view s) {
    return is_valid_name(s, kMaxRoomBytes);
}
// Why `text` is not valid chat text (1..1024 bytes of UTF-8 with no NUL and no control
// character but '\n'), or "" when it is. Operator texts (NOTICE, a kick's reason) follow it too.
std::string chat_text_problem(std::string_view text);
// The key nicks are compared by: ASCII letters folded to lower case.
std::string fold_nick(std::string_view nick);

}  // namespace chat
