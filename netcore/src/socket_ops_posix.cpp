// POSIX side of socket_ops.hpp: accept, descriptor exhaustion, and the steps of
// socket_ops_common.cpp that differ from Winsock.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <mutex>

#include "netcore/platform.hpp"
#include "netcore/socket_ops.hpp"
#include "netcore/stream_io.hpp"
#include "socket_ops_platform.hpp"

namespace netcore {

extern int reserve_descriptor;

socket_t accept_nonblocking(socket_t listener, std::string& peer) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int s =
        ::accept4(listener, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s < 0) return kInvalidSocket;
    set_nodelay(s);
    peer = format_address(reinterpret_cast<sockaddr*>(&ss));
    return s;
}

bool is_out_of_descriptors(int error) {
    return error == EMFILE || error == ENFILE;
}

bool is_transient_accept_error(int error) {
    return error == ECONNABORTED || error == EINTR || error == EPROTO;
}

// libuv's answer to EMFILE: keep one descriptor in reserve, free it to accept the pending
// connection, refuse it (the host says why: ERROR server_full, and logs it), then take the
// descriptor back, so a full table never makes the loop spin and the peer learns why.
bool shed_pending_connection(socket_t listener, EngineHost& host) {
    static std::mutex mutex;  // several engines (a server and a client) may shed at once
    std::lock_guard lock(mutex);
    if (reserve_descriptor < 0) return false;
    ::close(reserve_descriptor);
    const int s = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (s >= 0) host.refuse(s, "out of file descriptors");
    reserve_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return s >= 0;
}

namespace detail {

std::string resolve_error_text(int rc) {
    return ::gai_strerror(rc);
}

socket_t open_tcp_socket(const addrinfo& ai) {
    return ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol);
}

void set_listen_address_options(socket_t s) {
    int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
}

void defer_source_port([[maybe_unused]] socket_t s) {
#ifdef IP_BIND_ADDRESS_NO_PORT
    // Pick the port at connect(), by the whole 4-tuple: each source address then has its own
    // ephemeral range (the load generator's way past ~28k connections).
    const int one = 1;
    ::setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
}

int finish_connect(socket_t s, std::chrono::milliseconds timeout) {
    if (errno != EINPROGRESS) return errno;
    pollfd pfd{s, POLLOUT, 0};
    if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return ETIMEDOUT;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len);
    return so_error;
}

}  // namespace detail

}  // namespace netcore
