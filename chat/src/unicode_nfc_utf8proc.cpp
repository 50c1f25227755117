// to_nfc with utf8proc (Debian's libutf8proc-dev).
#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "chat/unicode_nfc.hpp"

namespace chat {

std::string to_nfc(std::string_view utf8) {
    utf8proc_uint8_t* out = nullptr;
    // Not NULLTERM: the length is given. STABLE: no unassigned code point is touched.
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                     static_cast<utf8proc_ssize_t>(utf8.size()), &out,
                     static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    const std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    if (n < 0) return std::string(utf8);
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

}  // namespace chat
