#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace testing_support {

struct TcpProxy::Pair {
    int client = -1, server = -1;
    std::atomic<bool> cut{false};
};

namespace {

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Close with a reset, not a FIN: the peer sees the connection fail, as when a path dies.
void reset_close(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
        ::pipe2(wake_, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("tcp proxy: ") + std::strerror(errno));
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
    const char byte = 0;
    (void)::write(wake_[1], &byte, 1);
    acceptor_.join();
    cut();
    for (auto& t : relays_) t.join();
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

int TcpProxy::cut() {
    held_ = true;
    std::lock_guard lock(mutex_);
    int n = 0;
    for (auto& pair : pairs_) {
        if (pair->cut.exchange(true)) continue;
        ++n;
        // Wakes the relay thread, which owns the descriptors and resets them.
        ::shutdown(pair->client, SHUT_RDWR);
        ::shutdown(pair->server, SHUT_RDWR);
    }
    return n;
}

void TcpProxy::release() {
    held_ = false;
}

void TcpProxy::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
        if (fds[1].revents) return;
        if (!(fds[0].revents & POLLIN)) continue;
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        if (held_) {
            reset_close(client);
            continue;
        }
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const sockaddr_in target = loopback(target_port_);
        if (server < 0 ||
            ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
            if (server >= 0) ::close(server);
            reset_close(client);
            continue;
        }
        const int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto pair = std::make_shared<Pair>();
        pair->client = client;
        pair->server = server;
        ++accepted_;
        std::lock_guard lock(mutex_);
        pairs_.push_back(pair);
        relays_.emplace_back([this, pair] { relay(pair); });
    }
}

// Copies both ways until either side ends or the pair is cut; then both sides go together.
void TcpProxy::relay(const std::shared_ptr<Pair>& pair) {
    char buffer[16384];
    for (bool open = true; open && !pair->cut;) {
        pollfd fds[2] = {{pair->client, POLLIN, 0}, {pair->server, POLLIN, 0}};
        if (::poll(fds, 2, 200) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2 && open && !pair->cut; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n <= 0 || !write_all(fds[1 - i].fd, buffer, static_cast<std::size_t>(n)))
                open = false;
        }
    }
    {
        // Out of the list before the descriptors close, so cut() never touches a closed one.
        std::lock_guard lock(mutex_);
        std::erase(pairs_, pair);
    }
    if (pair->cut) {
        reset_close(pair->client);
        reset_close(pair->server);
    } else {
        ::close(pair->client);
        ::close(pair->server);
    }
}

}  // namespace testing_support
