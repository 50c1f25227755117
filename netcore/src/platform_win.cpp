// Winsock versions of platform.hpp and socket_ops.hpp, and the steps of socket_ops_common.cpp
// that differ from POSIX. Plain Win32 and Winsock 2 calls only, so MSVC and MinGW build it
// alike.
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>

// platform.hpp first: it defines WIN32_LEAN_AND_MEAN and NOMINMAX before winsock2.h.
#include "netcore/platform.hpp"
#include "netcore/socket_ops.hpp"
#include "netcore/stream_io.hpp"
#include "socket_ops_platform.hpp"

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
    // The peer reset before we accepted (Windows says WSAECONNRESET; Wine accepts such a
    // connection, fails to read its peer's address, closes it and says WSAENOTCONN), or a
    // blocking call was interrupted. None of them says anything about the next connection.
    return error == WSAECONNRESET || error == WSAECONNABORTED || error == WSAENOTCONN ||
           error == WSAEINTR;
}

namespace {
int CALLBACK reject_condition(LPWSABUF, LPWSABUF, LPQOS, LPQOS, LPWSABUF, LPWSABUF, GROUP*,
                              DWORD_PTR) {
    return CF_REJECT;
}
}  // namespace

// Out of sockets or buffers: WSAAccept with a condition that rejects turns the pending
// connection away without needing a socket for it, so the loop does not spin on it. With no
// socket there is nothing to send the refusal on: the peer sees its connection refused.
bool shed_pending_connection(socket_t listener, EngineHost&) {
    const SOCKET s = ::WSAAccept(listener, nullptr, nullptr, reject_condition, 0);
    if (s != INVALID_SOCKET) {
        ::closesocket(s);
        return true;
    }
    return ::WSAGetLastError() == WSAECONNREFUSED;
}

namespace detail {

std::string resolve_error_text(int rc) {
    return socket_error_text(rc);  // getaddrinfo's codes are Winsock errors here
}

socket_t open_tcp_socket(const addrinfo& ai) {
    return ::WSASocketW(ai.ai_family, ai.ai_socktype, ai.ai_protocol, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

void set_listen_address_options(socket_t s) {
    // SO_REUSEADDR on Windows would let a second server steal the port; this refuses it.
    BOOL one = TRUE;
    ::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&one),
                 sizeof one);
}

void defer_source_port(socket_t) {}  // no IP_BIND_ADDRESS_NO_PORT here

int finish_connect(socket_t s, std::chrono::milliseconds timeout) {
    const int err = ::WSAGetLastError();
    if (err != WSAEWOULDBLOCK) return err;
    WSAPOLLFD pfd{s, POLLWRNORM, 0};
    if (::WSAPoll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return WSAETIMEDOUT;
    int so_error = 0;
    int len = sizeof so_error;
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error), &len);
    // A refused connect may show only in revents.
    if (so_error == 0 && (pfd.revents & (POLLERR | POLLHUP))) so_error = WSAECONNREFUSED;
    return so_error;
}

}  // namespace detail

}  // namespace netcore
