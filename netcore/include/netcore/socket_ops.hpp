// Small socket helpers shared by every engine.
#pragma once

#include <cstdint>
#include <string>

#include "netcore/platform.hpp"

struct sockaddr;

namespace netcore {

// A listening, non-blocking TCP socket; throws std::runtime_error with a readable message.
socket_t listen_tcp(const std::string& address, std::uint16_t port, int backlog = 4096);
std::uint16_t local_port(socket_t s);
// Whether `accepted` came through `listener`: same family and port, and the listener's address
// is the accepted socket's local one or a wildcard.
bool accepted_through(socket_t accepted, socket_t listener);
// Why `address` cannot be listened on (it does not resolve), or "" when it resolves.
std::string check_listen_address(const std::string& address);
std::string format_address(const sockaddr* sa);

// accept() that returns a non-blocking socket and its peer's "ip:port";
// kInvalidSocket with the error in last_socket_error() when nothing is pending.
socket_t accept_nonblocking(socket_t listener, std::string& peer);

}  // namespace netcore
