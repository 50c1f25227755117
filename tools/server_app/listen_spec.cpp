#include "listen_spec.hpp"

#include <charconv>

namespace {

std::optional<std::uint16_t> parse_port(std::string_view digits, std::string& error) {
    unsigned long value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec == std::errc::invalid_argument ||
        end != digits.data() + digits.size()) {
        error = "the port '" + std::string(digits) + "' is not a number (0..65535)";
        return std::nullopt;
    }
    if (ec == std::errc::result_out_of_range || value > 65535) {
        error = "the port " + std::string(digits) + " is outside 0..65535";
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<ListenSpec> parse_listen_spec(std::string_view text, std::string& error) {
    ListenSpec spec;
    if (text.empty()) {
        error = "the address is empty";
        return std::nullopt;
    }
    if (text.front() == '[') {  // [IPV6] or [IPV6]:PORT
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            error = "'" + std::string(text) + "' has no closing ']'";
            return std::nullopt;
        }
        spec.host = std::string(text.substr(1, close - 1));
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                error = "'" + std::string(text) + "': expected ':PORT' after ']'";
                return std::nullopt;
            }
            spec.port = parse_port(rest.substr(1), error);
            if (!spec.port) return std::nullopt;
        }
    } else if (const auto colon = text.find(':'); colon == std::string_view::npos) {
        spec.host = std::string(text);
    } else if (text.find(':', colon + 1) != std::string_view::npos) {
        spec.host = std::string(text);  // two colons or more: a bare IPv6 address, no port
    } else {
        spec.host = std::string(text.substr(0, colon));
        spec.port = parse_port(text.substr(colon + 1), error);
        if (!spec.port) return std::nullopt;
    }
    if (spec.host.empty()) {
        error = "'" + std::string(text) + "' has no address";
        return std::nullopt;
    }
    return spec;
}
