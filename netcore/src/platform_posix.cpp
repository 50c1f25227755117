// POSIX side of platform.hpp: errno, fcntl, SIGPIPE.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "netcore/platform.hpp"

namespace netcore {

int reserve_descriptor = -1;  // see shed_pending_connection() in socket_ops_posix.cpp

int last_socket_error() {
    return errno;
}
bool is_would_block(int error) {
    return error == EAGAIN || error == EWOULDBLOCK;
}
std::string socket_error_text(int error) {
    return std::strerror(error);
}
void close_socket(socket_t s) {
    ::close(s);
}

bool set_nonblocking(socket_t s, bool on) {
    const int flags = ::fcntl(s, F_GETFL, 0);
    if (flags < 0) return false;
    return ::fcntl(s, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) == 0;
}

void set_nodelay(socket_t s) {
    int one = 1;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void init_sockets() {
    // A peer that resets while we write must give EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    // Taken at start-up: by the time descriptors run out it is too late to get one.
    static const int reserved = reserve_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    (void)reserved;
}

}  // namespace netcore
