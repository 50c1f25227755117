#include "chat_bench/raw_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace chat_bench {
namespace {

int poll_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

RawSocket::RawSocket(std::uint16_t port, int receive_buffer) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    if (receive_buffer > 0)
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const std::string why = std::strerror(errno);
        close();
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + why);
    }
}

RawSocket::~RawSocket() {
    close();
}

bool RawSocket::send_all(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

bool RawSocket::fill(std::chrono::steady_clock::time_point deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, poll_ms(deadline)) <= 0) return false;
    std::byte chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.insert(buffer_.end(), chunk, chunk + n);
    return true;
}

std::optional<RawFrame> RawSocket::read_frame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (buffer_.size() >= chat::kHeaderSize) {
            const std::size_t size = get_u16(buffer_.data());
            if (size < chat::kHeaderSize) return std::nullopt;
            if (buffer_.size() >= size) {
                RawFrame f{get_u16(buffer_.data() + 2),
                           Bytes(buffer_.begin() + chat::kHeaderSize, buffer_.begin() + size)};
                buffer_.erase(buffer_.begin(), buffer_.begin() + size);
                return f;
            }
        }
        if (!fill(deadline)) return std::nullopt;
    }
}

bool RawSocket::drain_until_closed(std::chrono::milliseconds timeout, std::uint64_t& bytes) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bytes += buffer_.size();
    buffer_.clear();
    std::byte chunk[65536];
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, poll_ms(deadline)) <= 0) return false;
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
        if (n > 0) bytes += static_cast<std::uint64_t>(n);
    }
}

void RawSocket::reset() {
    if (fd_ < 0) return;
    const linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close();
}

void RawSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace chat_bench
