#include "server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

namespace testing_support {
namespace {

pid_t spawn(const std::string& binary, const std::vector<std::string>& args, int in_fd, int out_fd,
            int err_fd, const std::vector<std::string>& env = {}, long max_descriptors = 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // The child's environment, built before fork (setenv is not safe between fork and exec).
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& o : env) replaced |= o.substr(0, o.find('=')) == name;
        if (!replaced) environment.push_back(entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        if (max_descriptors > 0) {
            const rlimit limit{static_cast<rlim_t>(max_descriptors),
                               static_cast<rlim_t>(max_descriptors)};
            if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
        }
        ::execvpe(binary.c_str(), argv.data(), envp.data());  // PATH lookup: it may be "wine"
        ::_exit(127);
    }
    return pid;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                             const std::string& stderr_path)
    : ServerProcess(binary, args, SpawnOptions{stderr_path, {}, 0}) {}

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                             const SpawnOptions& options) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    const std::string& stderr_path = options.stderr_path;
    const int err = ::open(stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = spawn(binary, args, in[0], out[1], err, options.env, options.max_descriptors);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
}

ServerProcess::~ServerProcess() {
    if (!exited_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::optional<std::string> ServerProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();  // a Windows build's CRLF
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd pfd{stdout_fd_, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        char chunk[4096];
        const auto n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) return std::nullopt;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::uint16_t ServerProcess::wait_listening(std::string* engine) {
    static const std::regex pattern(R"(^listening on (\S+):(\d+)(?: \(tls\))? engine=(\S+)$)");
    while (auto line = read_line()) {
        std::smatch m;
        if (std::regex_match(*line, m, pattern)) {
            if (engine) *engine = m[3];
            return static_cast<std::uint16_t>(std::stoi(m[2]));
        }
    }
    return 0;
}

void ServerProcess::command(const std::string& line) {
    const std::string text = line + "\n";
    if (::write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw std::runtime_error("cannot write to the server's stdin");
}

void ServerProcess::signal(int sig) {
    ::kill(pid_, sig);
}

int ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

int run_capture(const std::string& binary, const std::vector<std::string>& args,
                std::string& output, const std::vector<std::string>& env) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = spawn(binary, args, devnull, out[1], out[1], env);
    ::close(out[1]);
    ::close(devnull);
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(out[0], chunk, sizeof chunk)) > 0)
        output.append(chunk, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace testing_support
