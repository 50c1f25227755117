// chat_server started as a real process: stdin for operator commands, stdout read by line.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace testing_support {

// How a process is started besides its arguments.
struct SpawnOptions {
    std::string stderr_path;       // where stderr goes ("": discarded)
    std::vector<std::string> env;  // "NAME=VALUE" added to (or replacing in) the environment
    long max_descriptors = 0;      // > 0: RLIMIT_NOFILE, soft and hard (as `ulimit -n`)
};

class ServerProcess {
  public:
    // Starts `binary` with `args`; stderr goes to `stderr_path` (or is discarded when empty).
    ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                  const std::string& stderr_path = "");
    ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                  const SpawnOptions& options);
    ~ServerProcess();

    // A whole stdout line, or nullopt on timeout / EOF.
    std::optional<std::string> read_line(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Waits for "listening on ADDR:PORT [(tls)] engine=NAME"; returns the port (0 if never
    // seen).
    std::uint16_t wait_listening(std::string* engine = nullptr);
    void command(const std::string& line);  // writes "line\n" to stdin
    void signal(int sig);
    pid_t pid() const { return pid_; }
    // Waits for exit; returns the exit status, or -1 on timeout (the process is then killed).
    int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1, stdout_fd_ = -1;
    std::string buffer_;
    bool exited_ = false;
};

// Runs a command to completion; returns exit status and captures stdout+stderr.
int run_capture(const std::string& binary, const std::vector<std::string>& args,
                std::string& output, const std::vector<std::string>& env = {});

}  // namespace testing_support
