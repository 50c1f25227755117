// The admin channel: a Unix socket (mode 0600) that takes the same operator commands as
// chat_server's stdin, one line in, one line out, for any number of clients at once (a few).
// `chat_server --cli` is its client (admin_client.hpp).
//
// Bounded: a line is at most kMaxLine bytes, a client that does not read its answers is
// dropped once kMaxUnread bytes wait for it, at most kMaxClients are served at once (the next
// one is told so), and stop() returns after the command being carried out (if any) ends.
//
// Threads: start() and stop() from the owner; the lines are answered on the socket's own
// thread, one at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

class AdminSocket {
  public:
    static constexpr std::size_t kMaxLine = 4096;
    static constexpr std::size_t kMaxUnread = 256 * 1024;
    static constexpr std::size_t kMaxClients = 16;

    // The answer to one line (nullopt: a blank line, no answer); `who` names the client for
    // the log ("pid 123 uid 0").
    using Answer =
        std::function<std::optional<std::string>(std::string_view line, const std::string& who)>;

    // False in a build without Unix sockets (Windows): --admin-socket is refused there.
    static bool available();
    // Why `path` cannot be an admin socket (too long for sun_path; no sockets in this build),
    // or "".
    static std::string problem_with_path(const std::string& path);

    AdminSocket(std::string path, Answer answer);
    ~AdminSocket();
    AdminSocket(const AdminSocket&) = delete;
    AdminSocket& operator=(const AdminSocket&) = delete;

    // Creates the socket and starts answering. A stale socket left by a dead server is
    // replaced; anything else at the path (a live server's socket, a file, a symbolic link)
    // is refused. Throws std::runtime_error with the reason.
    void start();
    // Stops answering, closes every client and removes the socket file (if it is still ours).
    void stop();
    const std::string& path() const { return path_; }

  private:
    struct Loop;
    std::string path_;
    Answer answer_;
    std::unique_ptr<Loop> loop_;
};

// Where a server under systemd puts its socket and where `--cli` looks by default:
// $RUNTIME_DIRECTORY/admin.sock (RuntimeDirectory= in the unit) or /run/netchat/admin.sock.
std::string default_admin_socket_path();
