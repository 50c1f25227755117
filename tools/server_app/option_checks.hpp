// The checks behind the server's options, as plain functions: each returns why a value is
// refused (the allowed range or rule included), or "" when it is fine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace option_checks {

// A whole number in lo..hi ("70000 is outside 0..65535").
std::string whole_number(std::string_view input, std::uint64_t lo, std::uint64_t hi);
// A finite number in lo..hi of `unit` (NaN and infinities refused).
std::string finite_number(std::string_view input, double lo, double hi, std::string_view unit);
// A byte count (after CLI11's size suffixes were applied) in lo..hi, the range shown in KiB/MiB.
std::string byte_count(std::string_view input, std::uint64_t lo, std::uint64_t hi);
std::string format_bytes(std::uint64_t bytes);  // "64KiB", "8MiB", "1000B"

// The server name sent in WELCOME: the protocol's str rules (valid UTF-8, no control
// character), 1..kMaxServerNameBytes bytes.
inline constexpr std::size_t kMaxServerNameBytes = 64;
std::string server_name(std::string_view name);
// A password a client can send in HELLO: valid UTF-8, no control character, at most 256 bytes.
inline constexpr std::size_t kMaxPasswordBytes = 256;
std::string password(std::string_view password);

}  // namespace option_checks
