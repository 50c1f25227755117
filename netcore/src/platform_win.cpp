// Winsock versions of platform.hpp and socket_ops.hpp. Plain Win32 and Winsock 2 calls only,
// so MSVC and MinGW build it alike.
#include <winsock2.h>
#include <ws2tcpip.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

#include "netcore/client.hpp"
#include "netcore/platform.hpp"
#include "netcore/socket_ops.hpp"

namespace netcore {

int last_socket_error() {
    return ::WSAGetLastError();
}

bool is_would_block(int error) {
    // WSA_IO_PENDING is not "would block": overlapped engines test for it themselves.
    return error == WSAEWOULDBLOCK;
}

std::string socket_error_text(int error) {
    char text[512] = {};
    const DWORD n =
        ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                         static_cast<DWORD>(error), 0, text, sizeof text, nullptr);
    std::string out(text, n);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.'))
        out.pop_back();
    if (out.empty()) out = "Winsock error";
    return out + " (" + std::to_string(error) + ")";
}

void close_socket(socket_t s) {
    ::closesocket(s);
}

bool set_nonblocking(socket_t s, bool on) {
    u_long mode = on ? 1 : 0;
    return ::ioctlsocket(s, FIONBIO, &mode) == 0;
}

void set_nodelay(socket_t s) {
    BOOL one = TRUE;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
}

void init_sockets() {
    static std::once_flag once;
    std::call_once(once, [] {
        WSADATA data;
        if (::WSAStartup(MAKEWORD(2, 2), &data) != 0)
            throw std::runtime_error("WSAStartup failed: Winsock 2.2 is not available");
        // Never paired with WSACleanup: sockets live until the process ends.
    });
}

socket_t listen_tcp(const std::string& address, std::uint16_t port, int backlog) {
    init_sockets();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve listen address '" + address +
                                 "': " + socket_error_text(rc));
    std::string last_error = "no usable address";
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        // Overlapped-capable (every engine may post WSARecv/AcceptEx on it), not inherited.
        const SOCKET s = ::WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, nullptr, 0,
                                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET) {
            last_error = socket_error_text(::WSAGetLastError());
            continue;
        }
        // SO_REUSEADDR on Windows would let a second server steal the port; this refuses it.
        BOOL one = TRUE;
        ::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one),
                     sizeof one);
        if (::bind(s, ai->ai_addr, static_cast<int>(ai->ai_addrlen)) == 0 &&
            ::listen(s, backlog) == 0 && set_nonblocking(s, true)) {
            ::freeaddrinfo(found);
            return s;
        }
        last_error = socket_error_text(::WSAGetLastError());
        ::closesocket(s);
    }
    ::freeaddrinfo(found);
    throw std::runtime_error("cannot listen on " + address + ":" + service + ": " + last_error);
}

std::uint16_t local_port(socket_t s) {
    sockaddr_storage ss{};
    int len = sizeof ss;
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
    int len = sizeof ss;
    const SOCKET s = ::accept(listener, reinterpret_cast<sockaddr*>(&ss), &len);
    if (s == INVALID_SOCKET) return kInvalidSocket;
    // An accepted socket inherits the listener's WSAAsyncSelect/WSAEventSelect registration;
    // clear it so the engine that adopts the socket starts from a plain non-blocking socket.
    ::WSAEventSelect(s, nullptr, 0);
    set_nonblocking(s, true);
    set_nodelay(s);
    peer = format_address(reinterpret_cast<sockaddr*>(&ss));
    return s;
}

bool is_out_of_descriptors(int error) {
    return error == WSAEMFILE || error == WSAENOBUFS;
}

bool is_transient_accept_error(int error) {
    // The peer reset before we accepted, or a blocking call was interrupted.
    return error == WSAECONNRESET || error == WSAEINTR;
}

namespace {
int CALLBACK reject_condition(LPWSABUF, LPWSABUF, LPQOS, LPQOS, LPWSABUF, LPWSABUF, GROUP*,
                              DWORD_PTR) {
    return CF_REJECT;
}
}  // namespace

// Out of sockets or buffers: WSAAccept with a condition that rejects turns the pending
// connection away without needing a socket for it, so the loop does not spin on it.
bool shed_pending_connection(socket_t listener) {
    const SOCKET s = ::WSAAccept(listener, nullptr, nullptr, reject_condition, 0);
    if (s != INVALID_SOCKET) {
        ::closesocket(s);
        return true;
    }
    return ::WSAGetLastError() == WSAECONNREFUSED;
}

socket_t connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                     const std::string& bind_address, std::string& error) {
    init_sockets();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        error = "cannot resolve " + host + ": " + socket_error_text(rc);
        return kInvalidSocket;
    }
    error = "no usable address for " + host;
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        const SOCKET s = ::WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, nullptr, 0,
                                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET) {
            error = socket_error_text(::WSAGetLastError());
            continue;
        }
        if (!bind_address.empty()) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, bind_address.c_str(), &local.sin_addr);
            if (::bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
                error = "cannot bind to " + bind_address + ": " +
                        socket_error_text(::WSAGetLastError());
                ::closesocket(s);
                continue;
            }
        }
        set_nonblocking(s, true);
        int err = 0;
        if (::connect(s, ai->ai_addr, static_cast<int>(ai->ai_addrlen)) != 0) {
            err = ::WSAGetLastError();
            if (err == WSAEWOULDBLOCK) {
                // Only to bound the connect: the socket is then handed to an engine.
                WSAPOLLFD pfd{s, POLLWRNORM, 0};
                const int ready = ::WSAPoll(&pfd, 1, static_cast<int>(timeout.count()));
                err = WSAETIMEDOUT;
                if (ready == 1) {
                    int len = sizeof err;
                    err = 0;
                    ::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len);
                    if (err == 0 && (pfd.revents & (POLLERR | POLLHUP))) err = WSAECONNREFUSED;
                }
            }
        }
        if (err == 0) {
            set_nodelay(s);
            ::freeaddrinfo(found);
            return s;
        }
        error = "cannot connect to " + host + ":" + service + ": " + socket_error_text(err);
        ::closesocket(s);
    }
    ::freeaddrinfo(found);
    return kInvalidSocket;
}

}  // namespace netcore
