// The address part of a peer as netcore names it ("1.2.3.4:5678", "[::1]:5678"): the key of
// the per-address limits.
#pragma once

#include <string>
#include <string_view>

namespace chat::detail {

// "1.2.3.4:5678" -> "1.2.3.4", "[2001:db8::1]:80" -> "2001:db8::1"; an IPv4-mapped IPv6
// address is its IPv4 address. Anything else (a test's "peer:1") is returned up to its last ':'.
std::string peer_host(std::string_view peer);

// 127.0.0.0/8 and ::1.
bool is_loopback(std::string_view host);

}  // namespace chat::detail
