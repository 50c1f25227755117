#include "chat_bench/setup.hpp"

#include <unistd.h>

#include <cstdio>
#include <thread>

#include "chat_bench/fd_limits.hpp"
#include "chat_bench/fleet.hpp"

namespace chat_bench {

std::size_t preflight(const CommonOptions& common, std::size_t wanted, Report& report) {
    const FdLimits limits = raise_fd_limit();
    const std::string shortfall = explain_fd_shortfall(limits, wanted);
    if (!shortfall.empty()) {
        if (!common.fit) throw SetupError(shortfall);
        const std::size_t fits = fd_headroom(limits);
        report.note("--fit: " + std::to_string(wanted) + " connections lowered to " +
                    std::to_string(fits) + " (descriptor limit " + std::to_string(limits.soft) +
                    (limits.note.empty() ? "" : "; " + limits.note) + ")");
        wanted = fits;
    }
    if (wanted == 0) throw SetupError("no connection fits the descriptor limit");
    if (const std::string down = check_server(common); !down.empty()) throw SetupError(down);
    return wanted;
}

void sleep_seconds(double seconds) {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string seconds_text(double seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", seconds);
    return buf;
}

void ServerSampler::begin() {
    started_ = std::chrono::steady_clock::now();
    self_start_ = read_cpu_seconds(::getpid());
    if (pid_ > 0) cpu_start_ = read_cpu_seconds(pid_);
}

void ServerSampler::end() {
    const double wall = seconds_since(started_);
    const auto self = read_cpu_seconds(::getpid());
    if (self && self_start_ && wall > 0) self_pct_ = 100.0 * (*self - *self_start_) / wall;
    if (pid_ <= 0) return;
    const auto cpu = read_cpu_seconds(pid_);
    if (cpu && cpu_start_ && wall > 0) cpu_pct_ = 100.0 * (*cpu - *cpu_start_) / wall;
    memory_ = read_memory(pid_);
    alive_ = process_alive(pid_);
}

void ServerSampler::report_to(Report& report) const {
    if (self_pct_) report.add("load_cpu_pct", *self_pct_, "%", "chat_bench CPU (100 = one core)");
    if (pid_ <= 0) return;
    if (cpu_pct_) report.add("server_cpu_pct", *cpu_pct_, "%", "server CPU (100 = one core)");
    if (memory_)
        report.add("server_rss_kib", static_cast<double>(memory_->rss_kib), "KiB", "server RSS");
    if (!alive_) report.problem("the server process (pid " + std::to_string(pid_) + ") is gone");
}

}  // namespace chat_bench
