// `chat_server --cli`: the admin socket's client, as redis-cli is redis-server's. It sends each
// command, prints each answer, and says by its exit status how it went.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

// Exit statuses of --cli.
namespace admin_cli {
inline constexpr int kOk = 0;
inline constexpr int kCommandFailed = 1;  // the server answered "error: ..."
inline constexpr int kUsage = 2;          // a bad option
inline constexpr int kUnreachable = 3;    // no server on the socket (missing, refused, denied)
}  // namespace admin_cli

// One connection to the admin socket. Throws AdminUnreachable with the reason (the socket is
// missing, nobody answers, permission denied, no answer in time).
class AdminUnreachable : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class AdminConnection {
  public:
    explicit AdminConnection(const std::string& path);
    ~AdminConnection();
    AdminConnection(const AdminConnection&) = delete;
    AdminConnection& operator=(const AdminConnection&) = delete;

    // Sends one command line and returns the answer line (without its '\n').
    std::string ask(const std::string& line, std::chrono::milliseconds timeout);

  private:
    std::string path_;
    int fd_ = -1;
    std::string buffer_;
};

// The --cli mode: args are argv without the program (they include "--cli"). Returns the exit
// status.
int run_admin_cli(const std::vector<std::string>& args);
