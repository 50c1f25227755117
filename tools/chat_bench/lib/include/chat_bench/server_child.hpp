// A chat_server that chat_bench starts and owns (soak): its stdin is a pipe for operator
// commands (/engine NAME, /stats), its stdout is read for their one-line answers, and its
// pid lets /proc be read. It is stopped with /quit, then SIGKILL if it does not go.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace chat_bench {

class ServerChild {
  public:
    // Starts `binary` with `args`; its stderr goes to `log_path` (empty: chat_bench's own).
    // Waits for "listening on ADDR:PORT engine=NAME"; throws SetupError when it does not come.
    ServerChild(const std::string& binary, const std::vector<std::string>& args,
                const std::string& log_path);
    ~ServerChild();
    ServerChild(const ServerChild&) = delete;
    ServerChild& operator=(const ServerChild&) = delete;

    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    const std::string& first_engine() const { return engine_; }

    // Sends one command and returns its one-line answer; nullopt when none came in `timeout`
    // (a late answer is then skipped before the next command's).
    std::optional<std::string> command(const std::string& line, std::chrono::milliseconds timeout);
    // /stats as key=value pairs (engine, sessions, rooms, threads...); empty on no answer.
    std::map<std::string, std::string> stats(std::chrono::milliseconds timeout);
    bool alive();  // false once it has exited (then reaped)
    // /quit, then SIGKILL after `grace`; returns a description of how it ended.
    std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  private:
    void read_stdout();
    std::optional<std::string> next_line(std::chrono::steady_clock::time_point deadline);

    pid_t pid_ = -1;
    int stdin_fd_ = -1, stdout_fd_ = -1;
    std::uint16_t port_ = 0;
    std::string engine_;
    std::size_t unanswered_ = 0;  // commands whose answer never came (skipped when it does)
    std::mutex mutex_;            // guards lines_, eof_, exit_status_
    std::condition_variable arrived_;
    std::deque<std::string> lines_;
    bool eof_ = false;
    std::optional<int> exit_status_;
    std::thread reader_;
};

// The engines `binary --list-engines` names, the default first as the server lists them.
std::vector<std::string> list_server_engines(const std::string& binary);

// chat_server beside this chat_bench (both are built into the same bin/ directory).
std::string default_server_binary();

}  // namespace chat_bench
