// The practical limit: the least a server can do per ECHO frame on epoll. One thread,
// edge-triggered, one read per wake-up (a short read means the socket is drained: the next
// arrival raises a new edge), every reply of that read gathered into one send. Answers HELLO
// with WELCOME so the same load generator drives it; everything else is ignored.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "proto_lite.hpp"

namespace pl = proto_lite;

namespace {

struct Conn {
    int fd;
    std::uint32_t id;
    std::string in;   // an incomplete frame carried to the next read
    std::string out;  // replies the socket did not take yet
};

constexpr std::size_t kReadSize = 64 * 1024;

void close_conn(Conn* c) {
    ::close(c->fd);  // also leaves the epoll set
    delete c;
}

// Appends the replies to every whole frame in `data` to `out`; returns the bytes consumed,
// or -1 when a frame size is impossible.
long consume(const Conn& c, const char* data, std::size_t n, std::string& out) {
    std::size_t pos = 0;
    while (n - pos >= pl::kHeader) {
        const auto* p = reinterpret_cast<const unsigned char*>(data + pos);
        const std::size_t size = pl::u16_at(p);
        if (size < pl::kHeader) return -1;
        if (n - pos < size) break;
        const std::uint16_t type = pl::u16_at(p + 2);
        if (type == pl::kEcho) {
            out.append(data + pos, size);
        } else if (type == pl::kHello) {
            pl::Reader r(p + pl::kHeader, size - pl::kHeader);
            r.u16();
            out += pl::welcome(c.id, r.str(), "raw_epoll");
        }
        pos += size;
    }
    return static_cast<long>(pos);
}

// Sends what is queued; false when the connection failed.
bool flush(Conn* c, const char* data, std::size_t n) {
    while (n > 0) {
        const ssize_t sent = ::send(c->fd, data, n, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN) break;
            if (errno == EINTR) continue;
            return false;
        }
        data += sent;
        n -= static_cast<std::size_t>(sent);
    }
    c->out.assign(data, n);  // the rest waits for EPOLLOUT
    return true;
}

bool on_readable(Conn* c, char* scratch, std::string& replies) {
    while (true) {
        const ssize_t n = ::recv(c->fd, scratch, kReadSize, 0);
        if (n == 0) return false;
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        replies.clear();
        long used;
        if (c->in.empty()) {
            used = consume(*c, scratch, static_cast<std::size_t>(n), replies);
            if (used >= 0) c->in.assign(scratch + used, static_cast<std::size_t>(n - used));
        } else {
            c->in.append(scratch, static_cast<std::size_t>(n));
            used = consume(*c, c->in.data(), c->in.size(), replies);
            if (used >= 0) c->in.erase(0, static_cast<std::size_t>(used));
        }
        if (used < 0) return false;
        if (!replies.empty()) {
            if (!c->out.empty()) {
                c->out += replies;  // keep the order: older output first
            } else if (!flush(c, replies.data(), replies.size())) {
                return false;
            }
        }
        if (static_cast<std::size_t>(n) < kReadSize) return true;
    }
}

int listen_on(const std::string& addr, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 4096) != 0) {
        std::fprintf(stderr, "raw_epoll_echo: listen on %s:%u: %s\n", addr.c_str(), port,
                     std::strerror(errno));
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1";
    std::uint16_t port = 7777;
    if (!pl::parse_args(argc, argv, listen, port, nullptr, nullptr)) return 2;
    const int lfd = listen_on(listen, port);
    if (lfd < 0) return 1;
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&bound), &len);
    std::printf("listening on %s:%u engine=raw_epoll\n", listen.c_str(), ntohs(bound.sin_port));
    std::fflush(stdout);

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the listener
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<epoll_event> events(1024);
    std::vector<char> scratch(kReadSize);
    std::string replies;
    std::uint32_t next_id = 0;
    while (true) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<Conn*>(events[i].data.ptr);
            if (!c) {
                int fd;
                while ((fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    const int one = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                    cev.data.ptr = new Conn{fd, ++next_id, {}, {}};
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            bool ok = true;
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                ok = on_readable(c, scratch.data(), replies);
            if (ok && (events[i].events & EPOLLOUT) && !c->out.empty()) {
                const std::string rest = std::move(c->out);
                ok = flush(c, rest.data(), rest.size());
            }
            if (!ok) close_conn(c);
        }
    }
}
