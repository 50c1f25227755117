#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "admin_client.hpp"

AdminConnection::AdminConnection(const std::string& path) : path_(path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        throw AdminUnreachable(path + ": a socket path is 1.." +
                               std::to_string(sizeof addr.sun_path - 1) + " bytes");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw AdminUnreachable(std::string("socket(): ") + std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return;
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    switch (error) {
        case ENOENT:
            throw AdminUnreachable("no admin socket at " + path +
                                   " (is chat_server running with --admin-socket " + path + "?)");
        case EACCES:
        case EPERM:
            throw AdminUnreachable("permission denied on " + path +
                                   " (the socket is mode 0600: run as the server's user or root)");
        case ECONNREFUSED:
            throw AdminUnreachable("nobody answers on " + path +
                                   " (a stale socket: the server is not running)");
        case ENOTSOCK:
            throw AdminUnreachable(path + " is not a socket");
        default:
            throw AdminUnreachable("cannot connect to " + path + ": " + std::strerror(error));
    }
}

AdminConnection::~AdminConnection() {
    if (fd_ >= 0) ::close(fd_);
}

std::string AdminConnection::ask(const std::string& line, std::chrono::milliseconds timeout) {
    const std::string out = line + "\n";
    for (std::size_t sent = 0; sent < out.size();) {
        const auto n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw AdminUnreachable("the server closed the admin connection");
        sent += static_cast<std::size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string answer = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return answer;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd pfd{fd_, POLLIN, 0};
        const int ready = left.count() > 0 ? ::poll(&pfd, 1, static_cast<int>(left.count())) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0)
            throw AdminUnreachable("no answer from " + path_ + " within " +
                                   std::to_string(timeout.count() / 1000.0).substr(0, 4) + " s");
        char chunk[4096];
        const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw AdminUnreachable("the server closed the admin connection unanswered");
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}
