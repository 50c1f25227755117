#include "redis_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace testing_support {
namespace {

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

// One RESP command over a fresh connection; the reply's first line, without its type byte
// (bulk strings: their content).
std::string resp(std::uint16_t port, const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to redis");
    }
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        ::close(fd);
        throw std::runtime_error("cannot send to redis");
    }
    std::string in;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto complete = [&in] {
        const auto eol = in.find("\r\n");
        if (eol == std::string::npos) return false;
        if (in[0] != '$') return true;
        const long n = std::atol(in.c_str() + 1);
        return n < 0 || in.size() >= eol + 2 + static_cast<std::size_t>(n) + 2;
    };
    while (!complete()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            ::close(fd);
            throw std::runtime_error("redis did not answer");
        }
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("redis closed the connection");
        }
        in.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto eol = in.find("\r\n");
    if (in[0] == '$') {
        const long n = std::atol(in.c_str() + 1);
        return n < 0 ? std::string() : in.substr(eol + 2, static_cast<std::size_t>(n));
    }
    return in.substr(1, eol - 1);  // past the type byte ('+', '-' or ':')
}

}  // namespace

bool RedisServer::available() {
    return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

RedisServer::RedisServer(std::vector<std::string> extra)
    : port_(free_port()), extra_(std::move(extra)) {
    log_path_ =
        "/tmp/netchat-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".log";
    start();
}

RedisServer::~RedisServer() {
    stop();
    ::unlink(log_path_.c_str());
}

void RedisServer::start() {
    std::vector<std::string> args = {
        "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save",
        "",       "--appendonly",        "no",     "--logfile", log_path_};
    args.insert(args.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<ServerProcess>("redis-server", args);
    wait_ready();
}

void RedisServer::stop() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait_exit(std::chrono::seconds(5));
    process_.reset();
}

void RedisServer::wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            if (resp(port_, {"PING"}, std::chrono::milliseconds(500)) == "PONG") return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis-server did not answer PING within 10 s on port " +
                             std::to_string(port_));
}

std::string RedisServer::command(const std::vector<std::string>& args) {
    return resp(port_, args, std::chrono::seconds(5));
}

}  // namespace testing_support
