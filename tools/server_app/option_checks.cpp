#include "option_checks.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "chat/text_rules.hpp"

namespace option_checks {
namespace {

std::string number_text(double v) {
    if (v == static_cast<double>(static_cast<std::int64_t>(v)) && std::fabs(v) < 1e15)
        return std::to_string(static_cast<std::int64_t>(v));
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

bool has_control_character(std::string_view s) {
    // C0 and DEL; is_clean_str has refused C0 already, C1 (U+0080..U+009F) is checked here.
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7F) return true;
        if (b == 0xC2 && i + 1 < s.size()) {
            const auto next = static_cast<unsigned char>(s[i + 1]);
            if (next >= 0x80 && next <= 0x9F) return true;
        }
    }
    return false;
}

}  // namespace

std::string whole_number(std::string_view input, std::uint64_t lo, std::uint64_t hi) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    std::string_view digits = input;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    if (!digits.empty() && digits.front() == '-' && digits.size() > 1)
        return std::string(input) + " is outside " + range;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
        return "'" + std::string(input) + "' is not a whole number (" + range + ")";
    if (ec == std::errc::result_out_of_range || value < lo || value > hi)
        return std::string(input) + " is outside " + range;
    return {};
}

std::string finite_number(std::string_view input, double lo, double hi, std::string_view unit) {
    const std::string range = number_text(lo) + ".." + number_text(hi) + " " + std::string(unit);
    const std::string text(input);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
        return "'" + text + "' is not a number (" + range + ")";
    if (!std::isfinite(value)) return text + " is not a finite number (" + range + ")";
    if (value < lo || value > hi) return text + " is outside " + range;
    return {};
}

std::string format_bytes(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    std::size_t unit = 0;
    while (unit < 4 && bytes >= 1024 && bytes % 1024 == 0) bytes /= 1024, ++unit;
    return std::to_string(bytes) + kUnits[unit];
}

std::string byte_count(std::string_view input, std::uint64_t lo, std::uint64_t hi) {
    const std::string range = format_bytes(lo) + ".." + format_bytes(hi);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), value);
    if (input.empty() || ec == std::errc::invalid_argument || end != input.data() + input.size())
        return "'" + std::string(input) + "' is not a size (" + range + ", e.g. 8MiB)";
    if (ec == std::errc::result_out_of_range || value < lo || value > hi)
        return format_bytes(value) + " is outside " + range;
    return {};
}

std::string server_name(std::string_view name) {
    if (name.empty()) return "the server name is empty";
    if (name.size() > kMaxServerNameBytes)
        return "the server name is " + std::to_string(name.size()) + " bytes; the limit is " +
               std::to_string(kMaxServerNameBytes);
    if (!chat::is_valid_utf8(name)) return "the server name is not valid UTF-8";
    if (!chat::is_clean_str(name, false) || has_control_character(name))
        return "the server name holds a control character";
    return {};
}

std::string password(std::string_view password) {
    if (password.size() > kMaxPasswordBytes)
        return "the password is " + std::to_string(password.size()) + " bytes; the limit is " +
               std::to_string(kMaxPasswordBytes);
    if (!chat::is_valid_utf8(password)) return "the password is not valid UTF-8";
    if (!chat::is_clean_str(password, false) || has_control_character(password))
        return "the password holds a control character";
    return {};
}

}  // namespace option_checks
