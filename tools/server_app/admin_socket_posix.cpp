// The admin socket on POSIX: an AF_UNIX stream socket served by one thread with poll().
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "admin_socket.hpp"

namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

sockaddr_un address_of(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (auto why = AdminSocket::problem_with_path(path); !why.empty())
        throw std::runtime_error("--admin-socket " + path + ": " + why);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// What is at `path` before the socket is made: nothing, or a socket no server answers on
// (removed). Anything else is refused: never follow, replace or steal what is there.
void clear_the_way(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw std::runtime_error("--admin-socket " + path + ": " + errno_text(errno));
    }
    if (S_ISLNK(st.st_mode))
        throw std::runtime_error("--admin-socket " + path +
                                 " is a symbolic link; refusing to follow it");
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("--admin-socket " + path +
                                 " exists and is not a socket; refusing to replace it");
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) throw std::runtime_error("--admin-socket: socket(): " + errno_text(errno));
    const bool answered =
        ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    const int error = errno;
    ::close(probe);
    if (answered)
        throw std::runtime_error("--admin-socket " + path +
                                 ": another server is answering on it (is one running already?)");
    if (error != ECONNREFUSED)
        throw std::runtime_error("--admin-socket " + path + ": cannot tell whether it is in use (" +
                                 errno_text(error) + ")");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw std::runtime_error("--admin-socket " + path +
                                 ": cannot remove the stale socket: " + errno_text(errno));
    spdlog::info("admin socket {}: replaced a stale socket (no server answered on it)", path);
}

// "pid 123 uid 1000" from the peer's credentials (Linux), for the log.
std::string peer_of(int fd) {
#ifdef SO_PEERCRED
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        return "pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid);
#endif
    return "fd " + std::to_string(fd);
}

using Clock = std::chrono::steady_clock;
// A client that neither sends nor takes anything for this long gives its place up; one whose
// answers wait unread, sooner.
constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr auto kStalledTimeout = std::chrono::seconds(30);

struct Client {
    int fd = -1;
    std::string who;
    std::string in, out;
    bool closing = false;  // send what is queued, then close
    Clock::time_point active = Clock::now();
};

}  // namespace

// The socket's thread: poll() over the wake pipe, the listener and the clients.
struct AdminSocket::Loop {
    explicit Loop(const Answer& answer) : answer(answer) {}
    ~Loop() {
        for (auto& c : clients) ::close(c.fd);
        for (int fd : {listener, wake[0], wake[1]})
            if (fd >= 0) ::close(fd);
    }

    void run() {
        std::vector<pollfd> fds;
        while (!stopping.load(std::memory_order_acquire)) {
            fds.clear();
            fds.push_back({wake[0], POLLIN, 0});
            fds.push_back({listener, POLLIN, 0});
            for (const auto& c : clients) fds.push_back({c.fd, interest(c), 0});
            if (::poll(fds.data(), fds.size(), clients.empty() ? -1 : 1000) < 0) {
                if (errno == EINTR) continue;
                spdlog::error("admin socket: poll failed: {}", errno_text(errno));
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
            if (fds[0].revents) break;                        // stop()
            for (std::size_t i = 0; i < clients.size(); ++i)  // indexes as in fds
                if (fds[i + 2].revents) serve(clients[i], fds[i + 2].revents);
            const auto now = Clock::now();
            std::erase_if(clients, [&](const Client& c) {
                if (!c.out.empty() && now - c.active > kStalledTimeout)
                    spdlog::warn("admin socket: {} does not read its answers; dropped", c.who);
                else if (now - c.active > kIdleTimeout)
                    spdlog::info("admin socket: {} idle for 5 minutes; closed", c.who);
                else if (!c.closing || !c.out.empty())
                    return false;
                ::close(c.fd);
                return true;
            });
            if (fds[1].revents & POLLIN) accept_clients();
        }
    }

    // Input is read even while answers wait (kMaxUnread bounds them), until the client is
    // closing: then only its last answers go out.
    static short interest(const Client& c) {
        if (c.closing) return POLLOUT;
        return c.out.empty() ? POLLIN : POLLIN | POLLOUT;
    }

    void serve(Client& c, short revents) {
        if (revents & POLLOUT) flush(c);
        if (!(revents & (POLLIN | POLLHUP | POLLERR)) || c.closing) return;
        char chunk[4096];
        const auto n = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        const bool eof = n <= 0;
        if (!eof) {
            c.in.append(chunk, static_cast<std::size_t>(n));
            c.active = Clock::now();
        }
        // Each whole line is answered in order; at the end of the input a last one without '\n'.
        std::size_t start = 0;
        for (std::size_t nl; !c.closing && (nl = c.in.find('\n', start)) != std::string::npos;
             start = nl + 1)
            answer_line(c, std::string_view(c.in).substr(start, nl - start));
        c.in.erase(0, start);
        if (eof && !c.in.empty() && !c.closing) answer_line(c, c.in);
        if (c.in.size() > kMaxLine) {
            c.out +=
                "error: a command is at most " + std::to_string(kMaxLine) + " bytes; closing\n";
            c.closing = true;
        }
        if (eof || c.closing) {
            c.in.clear();
            c.closing = true;
        }
        if (c.out.size() > kMaxUnread) {
            spdlog::warn("admin socket: {} does not read its answers ({} bytes wait); dropped",
                         c.who, c.out.size());
            c.out.clear();
            c.closing = true;
        }
        flush(c);  // answer at once; what does not fit waits for POLLOUT
    }

    void answer_line(Client& c, std::string_view line) {
        if (auto reply = answer(line, c.who)) c.out += *reply + "\n";
    }

    void flush(Client& c) {
        if (c.out.empty()) return;
        const auto n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            c.out.erase(0, static_cast<std::size_t>(n));
            c.active = Clock::now();
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            c.out.clear();  // the client is gone
            c.closing = true;
        }
    }

    void accept_clients() {
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) return;
            if (clients.size() >= kMaxClients) {
                const std::string busy = "error: the admin socket serves " +
                                         std::to_string(kMaxClients) +
                                         " clients at once; try again later\n";
                [[maybe_unused]] auto n = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
                ::close(fd);
                continue;
            }
            Client& c = clients.emplace_back();
            c.fd = fd;
            c.who = peer_of(fd);
        }
    }

    const Answer& answer;
    int listener = -1;
    int wake[2] = {-1, -1};
    dev_t dev = 0;
    ino_t ino = 0;
    std::vector<Client> clients;
    std::thread thread;
    std::atomic<bool> stopping{false};
};

bool AdminSocket::available() {
    return true;
}

std::string AdminSocket::problem_with_path(const std::string& path) {
    if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path))
        return "a socket path is 1.." + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
               " bytes (this one is " + std::to_string(path.size()) + ")";
    return {};
}

AdminSocket::AdminSocket(std::string path, Answer answer)
    : path_(std::move(path)), answer_(std::move(answer)) {}

AdminSocket::~AdminSocket() {
    stop();
}

void AdminSocket::start() {
    const sockaddr_un addr = address_of(path_);
    clear_the_way(path_, addr);
    auto loop = std::make_unique<Loop>(answer_);
    loop->listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (loop->listener < 0)
        throw std::runtime_error("--admin-socket: socket(): " + errno_text(errno));
    // Linux makes the file with the socket's own mode (less the umask): 0600 from the start,
    // never a moment with more.
    ::fchmod(loop->listener, 0600);
    if (::bind(loop->listener, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int error = errno;
        std::string why = errno_text(error);
        if (error == ENOENT) why = "its directory does not exist";
        if (error == EADDRINUSE) why = "something appeared at the path meanwhile";
        throw std::runtime_error("--admin-socket " + path_ + ": cannot create it: " + why);
    }
    struct stat st {};
    if (::lstat(path_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600) {
        ::unlink(path_.c_str());
        throw std::runtime_error("--admin-socket " + path_ +
                                 ": the socket was not created with mode 0600; removed it");
    }
    loop->dev = st.st_dev;
    loop->ino = st.st_ino;
    if (::listen(loop->listener, 16) != 0 || ::pipe2(loop->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        const int error = errno;
        ::unlink(path_.c_str());
        throw std::runtime_error("--admin-socket " + path_ + ": " + errno_text(error));
    }
    loop_ = std::move(loop);
    loop_->thread = std::thread([l = loop_.get()] { l->run(); });
    spdlog::info("admin socket on {} (mode 0600; chat_server --cli --admin-socket {} help)", path_,
                 path_);
}

void AdminSocket::stop() {
    if (!loop_) return;
    loop_->stopping.store(true, std::memory_order_release);
    [[maybe_unused]] auto n = ::write(loop_->wake[1], "x", 1);
    if (loop_->thread.joinable()) loop_->thread.join();
    // Removed only if the file is still the socket made here (not one another server made).
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == loop_->dev && st.st_ino == loop_->ino)
        ::unlink(path_.c_str());
    loop_.reset();
}

std::string default_admin_socket_path() {
    if (const char* runtime = std::getenv("RUNTIME_DIRECTORY"); runtime && *runtime) {
        std::string dir(runtime);
        dir = dir.substr(0, dir.find(':'));  // several RuntimeDirectory= entries: the first
        return dir + "/admin.sock";
    }
    return "/run/netchat/admin.sock";
}
