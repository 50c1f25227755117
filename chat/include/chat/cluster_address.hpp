// Where a cluster's Redis is: `--cluster redis://HOST:PORT[/DB]` (docs/cluster.md). Parsed the
// same way on every platform, so a bad address is refused at start with its reason even in a
// build that has no cluster support (which then says so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

struct RedisAddress {
    std::string host;  // a name, an IPv4 address, or an IPv6 address (given in brackets)
    std::uint16_t port = 6379;
    unsigned db = 0;  // SELECT'ed on every connection

    std::string to_string() const;  // "redis://host:port/db"
};

// The address, or nullopt with the reason in `error` ("the port must be 1..65535").
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error);

// True when this build can join a cluster (it has hiredis); the MinGW build has not.
bool cluster_supported();

// A node name given with --node: 1..64 bytes of letters, digits and . _ : - [ ] (it is part of
// Redis keys and channel names, and shown to operators).
std::string node_name_problem(std::string_view name);

}  // namespace chat
