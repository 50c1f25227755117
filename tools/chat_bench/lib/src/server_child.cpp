#include "chat_bench/server_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string_view>

#include "chat_bench/setup.hpp"
#include "netcore/engine_registry.hpp"

namespace chat_bench {
namespace {

// glibc adapts to what a program did: each thread gets an arena of its own (up to 8 per
// core) that keeps what is freed in it, and after a large block is freed, blocks up to its size
// come from the heap, whose top is then trimmed later. Neither is a leak, but both raise a
// leak-free server's RSS in steps a soak would take for one: with the blocking engine's
// thousands of short-lived threads RSS grew from 11.1 to 14.8 MiB over five minutes before it
// levelled off, and a second visit to io_uring (its buffer rings freed and allocated again)
// raised it from 6.4 to 10.4 MiB for good. With two arenas and the mmap threshold fixed at
// glibc's initial 128 KiB, RSS follows what the server holds. An environment that sets
// either variable keeps its own value.
constexpr std::array<std::string_view, 2> kAllocatorSettings = {"MALLOC_ARENA_MAX=2",
                                                                "MALLOC_MMAP_THRESHOLD_=131072"};

std::vector<std::string> server_environment() {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const std::string_view setting : kAllocatorSettings) {
        const std::string_view name = setting.substr(0, setting.find('=') + 1);
        const bool set = std::any_of(env.begin(), env.end(),
                                     [&](const std::string& e) { return e.rfind(name, 0) == 0; });
        if (!set) env.emplace_back(setting);
    }
    return env;
}

pid_t spawn(const std::string& binary, const std::vector<std::string>& args, int in_fd, int out_fd,
            int err_fd) {
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::vector<std::string> env = server_environment();  // built before fork()
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw SetupError("fork failed");
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        if (err_fd >= 0) ::dup2(err_fd, 2);
        ::execve(binary.c_str(), argv.data(), envp.data());
        const std::string why = "chat_bench: cannot run " + binary + "\n";
        (void)!::write(2, why.data(), why.size());
        ::_exit(127);
    }
    return pid;
}

}  // namespace

ServerChild::ServerChild(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& log_path) {
    ::signal(SIGPIPE, SIG_IGN);  // a server that died must not take chat_bench with it
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw SetupError("pipe failed");
    int err = -1;
    if (!log_path.empty()) {
        err = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (err < 0) throw SetupError("cannot write the server log " + log_path);
    }
    pid_ = spawn(binary, args, in[0], out[1], err);
    ::close(in[0]);
    ::close(out[1]);
    if (err >= 0) ::close(err);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    reader_ = std::thread([this] { read_stdout(); });

    static const std::regex listening(R"(^listening on (\S+):(\d+) engine=(\S+)$)");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (auto line = next_line(deadline)) {
        std::smatch m;
        if (!std::regex_match(*line, m, listening)) continue;
        port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
        engine_ = m[3];
        return;
    }
    stop(std::chrono::milliseconds(100));
    throw SetupError(binary + " did not say \"listening on ...\" within 20 s (see its log)");
}

ServerChild::~ServerChild() {
    stop(std::chrono::seconds(2));
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

void ServerChild::read_stdout() {
    std::string buffer;
    char chunk[4096];
    for (;;) {
        const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buffer.find('\n')) != std::string::npos) {
            {
                std::lock_guard lock(mutex_);
                lines_.push_back(buffer.substr(0, nl));
            }
            buffer.erase(0, nl + 1);
            arrived_.notify_all();
        }
    }
    ::close(stdout_fd_);
    std::lock_guard lock(mutex_);
    eof_ = true;
    arrived_.notify_all();
}

std::optional<std::string> ServerChild::next_line(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_until(lock, deadline, [&] { return !lines_.empty() || eof_; }) ||
        lines_.empty())
        return std::nullopt;
    std::string line = std::move(lines_.front());
    lines_.pop_front();
    return line;
}

std::optional<std::string> ServerChild::command(const std::string& line,
                                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Answers to earlier commands that timed out come first, in order: skip them.
    for (; unanswered_ > 0; --unanswered_)
        if (!next_line(deadline)) return std::nullopt;
    const std::string text = line + "\n";
    if (::write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return std::nullopt;
    auto answer = next_line(deadline);
    if (!answer) ++unanswered_;
    return answer;
}

std::map<std::string, std::string> ServerChild::stats(std::chrono::milliseconds timeout) {
    std::map<std::string, std::string> out;
    const auto line = command("/stats", timeout);
    if (!line) return out;
    std::istringstream words(*line);
    std::string word;
    while (words >> word)
        if (const auto eq = word.find('='); eq != std::string::npos && word[0] != '[')
            out[word.substr(0, eq)] = word.substr(eq + 1);
    return out;
}

bool ServerChild::alive() {
    std::lock_guard lock(mutex_);
    if (exit_status_ || pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
}

std::string ServerChild::stop(std::chrono::milliseconds grace) {
    std::unique_lock lock(mutex_);
    if (pid_ <= 0) return "never started";
    if (!exit_status_) {
        lock.unlock();
        const std::string quit = "/quit\n";
        (void)!::write(stdin_fd_, quit.data(), quit.size());
        const auto deadline = std::chrono::steady_clock::now() + grace;
        int status = 0;
        pid_t done = 0;
        while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        bool killed = false;
        if (done == 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            killed = true;
        }
        lock.lock();
        exit_status_ =
            killed ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    lock.unlock();
    if (reader_.joinable()) reader_.join();
    if (*exit_status_ < 0) return "did not stop within its grace time: killed";
    return *exit_status_ == 0 ? "stopped cleanly"
                              : "exited with status " + std::to_string(*exit_status_);
}

std::vector<std::string> list_server_engines(const std::string& binary) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw SetupError("pipe failed");
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = spawn(binary, {"--list-engines"}, devnull, out[1], -1);
    ::close(out[1]);
    ::close(devnull);
    std::string text;
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(out[0], chunk, sizeof chunk)) > 0)
        text.append(chunk, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::vector<std::string> engines;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string name;
        // Only engine names: a wrapper (a profiler, a script) may print lines of its own.
        if (!(words >> name)) continue;
        const auto& known = netcore::engines();
        if (std::any_of(known.begin(), known.end(), [&](const auto& e) { return e.name == name; }))
            engines.push_back(name);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || engines.empty())
        throw SetupError(binary + " --list-engines failed: is it chat_server?");
    return engines;
}

std::string default_server_binary() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return "chat_server";
    return (self.parent_path() / "chat_server").string();
}

}  // namespace chat_bench
