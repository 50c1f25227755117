// The few socket differences between POSIX and Winsock, in one place.
#pragma once

#include <string>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <cerrno>
#endif

namespace netcore {

#ifdef _WIN32
using socket_t = SOCKET;
inline constexpr socket_t kInvalidSocket = INVALID_SOCKET;
#else
using socket_t = int;
inline constexpr socket_t kInvalidSocket = -1;
#endif

// Last socket error of this thread (errno or WSAGetLastError()).
int last_socket_error();
bool is_would_block(int error);
std::string socket_error_text(int error);

void close_socket(socket_t s);
bool set_nonblocking(socket_t s, bool on);
void set_nodelay(socket_t s);

// Process-wide socket library setup (WSAStartup on Windows, SIGPIPE ignored on POSIX).
void init_sockets();

}  // namespace netcore
