// Unicode Normalization Form C for names (docs/protocol.md, "Rules", revision 2): a nick or a
// room typed as decomposed characters (macOS sends Hangul as conjoining jamo) and the same
// name precomposed become the same bytes. utf8proc does it on Linux; on Windows the system's
// NormalizeString (Normaliz), so both platforms follow the Unicode tables, not code of ours.
#pragma once

#include <string>
#include <string_view>

namespace chat {

// `utf8` in NFC. The input must be valid UTF-8 (as every decoded `str` is); if the library
// refuses it anyway, it comes back unchanged.
std::string to_nfc(std::string_view utf8);

}  // namespace chat
