// What --listen accepts: "ADDR", "ADDR:PORT", "[IPV6]", "[IPV6]:PORT" (or a bare IPv6 such as
// "::1"); an address without a port listens on --port.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct ListenSpec {
    std::string host;                   // without brackets: "127.0.0.1", "::1", "localhost"
    std::optional<std::uint16_t> port;  // absent: --port applies
};

// The spec, or nullopt with why not in `error` (the port's range included).
std::optional<ListenSpec> parse_listen_spec(std::string_view text, std::string& error);
