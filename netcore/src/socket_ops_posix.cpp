// POSIX side of socket_ops.hpp and the accept/connect helpers engines and clients share.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "netcore/client.hpp"
#include "netcore/platform.hpp"
#include "netcore/socket_ops.hpp"

namespace netcore {

extern int reserve_descriptor;

socket_t listen_tcp(const std::string& address, std::uint16_t port, int backlog) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve listen address '" + address +
                                 "': " + ::gai_strerror(rc));
    std::string last_error = "no usable address";
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        const int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (s < 0) {
            last_error = std::strerror(errno);
            continue;
        }
        int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(s, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(s, backlog) == 0 &&
            set_nonblocking(s, true)) {
            ::freeaddrinfo(found);
            return s;
        }
        last_error = std::strerror(errno);
        ::close(s);
    }
    ::freeaddrinfo(found);
    throw std::runtime_error("cannot listen on " + address + ":" + service + ": " + last_error);
}

std::uint16_t local_port(socket_t s) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

std::string format_address(const sockaddr* sa) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
}

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

// libuv's answer to EMFILE: keep one descriptor in reserve, free it to accept and drop the
// pending connection, then take it back, so a full table never makes the loop spin.
bool shed_pending_connection(socket_t listener) {
    static std::mutex mutex;  // several engines (a server and a client) may shed at once
    std::lock_guard lock(mutex);
    if (reserve_descriptor < 0) return false;
    ::close(reserve_descriptor);
    const int s = ::accept(listener, nullptr, nullptr);
    if (s >= 0) ::close(s);
    reserve_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return s >= 0;
}

socket_t connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                     const std::string& bind_address, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
        return kInvalidSocket;
    }
    error = "no usable address for " + host;
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        const int s = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                               ai->ai_protocol);
        if (s < 0) {
            error = std::strerror(errno);
            continue;
        }
        if (!bind_address.empty()) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, bind_address.c_str(), &local.sin_addr);
            if (::bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
                error = "cannot bind to " + bind_address + ": " + std::strerror(errno);
                ::close(s);
                continue;
            }
        }
        int rc = ::connect(s, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            // Only to bound the connect: the socket is then handed to an engine.
            pollfd pfd{s, POLLOUT, 0};
            rc = ::poll(&pfd, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
            int so_error = rc == 0 ? 0 : ETIMEDOUT;
            socklen_t len = sizeof so_error;
            if (rc == 0) ::getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len);
            errno = so_error;
            rc = so_error == 0 ? 0 : -1;
        }
        if (rc == 0) {
            set_nodelay(s);
            ::freeaddrinfo(found);
            return s;
        }
        error = "cannot connect to " + host + ":" + service + ": " + std::strerror(errno);
        ::close(s);
    }
    ::freeaddrinfo(found);
    return kInvalidSocket;
}

}  // namespace netcore
