// The parts of socket_ops.hpp and connect_tcp that are the same on every platform: address
// resolution and the try-each-address loops. The steps that differ are in
// socket_ops_platform.hpp.
#include <cstring>
#include <memory>
#include <stdexcept>

#include "netcore/client.hpp"
#include "netcore/socket_ops.hpp"
#include "socket_ops_platform.hpp"

namespace netcore {

namespace {

struct FreeAddrinfo {
    void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};
using AddressList = std::unique_ptr<addrinfo, FreeAddrinfo>;

// TCP addresses for host:port (a numeric port); empty with the reason in `error` on failure.
AddressList resolve(const std::string& host, const std::string& service, int flags,
                    std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        error = detail::resolve_error_text(rc);
        return nullptr;
    }
    return AddressList(found);
}

std::string last_error_text() {
    return socket_error_text(last_socket_error());
}

bool bind_source(socket_t s, const std::string& address, std::string& error) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, address.c_str(), &local.sin_addr);
    detail::defer_source_port(s);
    if (::bind(s, reinterpret_cast<sockaddr*>(&local), static_cast<socklen_t>(sizeof local)) == 0)
        return true;
    error = "cannot bind to " + address + ": " + last_error_text();
    return false;
}

}  // namespace

socket_t listen_tcp(const std::string& address, std::uint16_t port, int backlog) {
    init_sockets();
    const std::string service = std::to_string(port);
    std::string error;
    const AddressList found = resolve(address, service, AI_PASSIVE, error);
    if (!found)
        throw std::runtime_error("cannot resolve listen address '" + address + "': " + error);
    error = "no usable address";
    for (const addrinfo* ai = found.get(); ai; ai = ai->ai_next) {
        const socket_t s = detail::open_tcp_socket(*ai);
        if (s == kInvalidSocket) {
            error = last_error_text();
            continue;
        }
        detail::set_listen_address_options(s);
        if (::bind(s, ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)) == 0 &&
            ::listen(s, backlog) == 0 && set_nonblocking(s, true))
            return s;
        error = last_error_text();
        close_socket(s);
    }
    throw std::runtime_error("cannot listen on " + address + ":" + service + ": " + error);
}

std::string check_listen_address(const std::string& address) {
    init_sockets();
    std::string error;
    if (!resolve(address, "0", AI_PASSIVE, error)) return "cannot resolve it: " + error;
    return {};
}

socket_t connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                     const std::string& bind_address, std::string& error) {
    init_sockets();
    const std::string service = std::to_string(port);
    const AddressList found = resolve(host, service, 0, error);
    if (!found) {
        error = "cannot resolve " + host + ": " + error;
        return kInvalidSocket;
    }
    error = "no usable address for " + host;
    for (const addrinfo* ai = found.get(); ai; ai = ai->ai_next) {
        const socket_t s = detail::open_tcp_socket(*ai);
        if (s == kInvalidSocket) {
            error = last_error_text();
            continue;
        }
        if (!bind_address.empty() && !bind_source(s, bind_address, error)) {
            close_socket(s);
            continue;
        }
        // Non-blocking only to bound the connect: the socket is then handed to an engine.
        set_nonblocking(s, true);
        int err = 0;
        if (::connect(s, ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen)) != 0)
            err = detail::finish_connect(s, timeout);
        if (err == 0) {
            set_nodelay(s);
            return s;
        }
        error = "cannot connect to " + host + ":" + service + ": " + socket_error_text(err);
        close_socket(s);
    }
    return kInvalidSocket;
}

std::uint16_t local_port(socket_t s) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

bool accepted_through(socket_t accepted, socket_t listener) {
    sockaddr_storage a{}, l{};
    socklen_t alen = sizeof a, llen = sizeof l;
    if (::getsockname(accepted, reinterpret_cast<sockaddr*>(&a), &alen) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&l), &llen) != 0 ||
        a.ss_family != l.ss_family)
        return false;
    if (a.ss_family == AF_INET6) {
        const auto& a6 = reinterpret_cast<const sockaddr_in6&>(a);
        const auto& l6 = reinterpret_cast<const sockaddr_in6&>(l);
        static const in6_addr any = IN6ADDR_ANY_INIT;
        return a6.sin6_port == l6.sin6_port &&
               (std::memcmp(&l6.sin6_addr, &any, sizeof any) == 0 ||
                std::memcmp(&l6.sin6_addr, &a6.sin6_addr, sizeof any) == 0);
    }
    const auto& a4 = reinterpret_cast<const sockaddr_in&>(a);
    const auto& l4 = reinterpret_cast<const sockaddr_in&>(l);
    return a4.sin_port == l4.sin_port &&
           (l4.sin_addr.s_addr == htonl(INADDR_ANY) || l4.sin_addr.s_addr == a4.sin_addr.s_addr);
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

}  // namespace netcore
