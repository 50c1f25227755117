#include "wake_channel.hpp"

#ifndef _WIN32
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#endif

namespace netcore {

#ifdef _WIN32

int WakeChannel::open() {
    if (in_ != kInvalidSocket) return 0;
    const socket_t acceptor = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (acceptor == kInvalidSocket) return last_socket_error();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = sizeof addr;
    const bool ok = ::bind(acceptor, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                    ::listen(acceptor, 1) == 0 &&
                    ::getsockname(acceptor, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
                    (out_ = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) != kInvalidSocket &&
                    ::connect(out_, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                    (in_ = ::accept(acceptor, nullptr, nullptr)) != kInvalidSocket;
    const int error = ok ? 0 : last_socket_error();
    close_socket(acceptor);
    if (!ok) return error;
    set_nonblocking(in_, true);
    set_nonblocking(out_, true);
    return 0;
}

void WakeChannel::signal() {
    const char one = 1;
    ::send(out_, &one, 1, 0);  // a full pair already wakes the loop: nothing is lost
}

void WakeChannel::drain() {
    char sink[64];
    while (::recv(in_, sink, sizeof sink, 0) > 0) {
    }
}

WakeChannel::~WakeChannel() {
    if (in_ != kInvalidSocket) close_socket(in_);
    if (out_ != kInvalidSocket) close_socket(out_);
}

#else

int WakeChannel::open() {
    if (in_ != kInvalidSocket) return 0;
    in_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return in_ < 0 ? errno : 0;
}

void WakeChannel::signal() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(in_, &one, sizeof one);
}

void WakeChannel::drain() {
    std::uint64_t count;
    [[maybe_unused]] auto n = ::read(in_, &count, sizeof count);
}

WakeChannel::~WakeChannel() {
    if (in_ >= 0) ::close(in_);
}

#endif

}  // namespace netcore
