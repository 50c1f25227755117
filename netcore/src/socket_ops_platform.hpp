// The few steps of listen_tcp and connect_tcp (socket_ops_common.cpp) that differ between
// POSIX (socket_ops_posix.cpp) and Winsock (platform_win.cpp), and the headers for them.
#pragma once

#include <chrono>
#include <string>

#include "netcore/platform.hpp"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace netcore::detail {

// getaddrinfo's own error codes (not errno values on POSIX).
std::string resolve_error_text(int rc);

// A TCP socket for `ai`, not inherited by child processes. On Windows it is
// overlapped-capable: every engine may post WSARecv or AcceptEx on it.
socket_t open_tcp_socket(const addrinfo& ai);

// Before a listener's bind(): a restarted server may take its port again at once, and (on
// Windows, where SO_REUSEADDR means sharing) no second server can take it from us.
void set_listen_address_options(socket_t s);

// Before a client socket's bind() to a source address: leave the port to connect(), where
// the system can (Linux), so each source address has its own ephemeral range.
void defer_source_port(socket_t s);

// After a non-blocking connect() returned an error: waits up to `timeout` if the connect is
// in progress. Returns the socket error, 0 once connected.
int finish_connect(socket_t s, std::chrono::milliseconds timeout);

}  // namespace netcore::detail
