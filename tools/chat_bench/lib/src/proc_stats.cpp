#include "chat_bench/proc_stats.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chat_bench {

std::optional<ProcMemory> read_memory(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    if (!in) return std::nullopt;
    ProcMemory m;
    bool found = false;
    std::string key;
    std::uint64_t value;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        if (!(fields >> key >> value)) continue;
        if (key == "VmRSS:") m.rss_kib = value, found = true;
        if (key == "RssAnon:") m.rss_anon_kib = value;
    }
    return found ? std::optional(m) : std::nullopt;
}

namespace {

std::optional<std::uint64_t> status_field(int pid, const std::string& wanted) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line, key;
    std::uint64_t value = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        if (fields >> key >> value && key == wanted) return value;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> count_fds(int pid) {
    std::error_code ec;
    std::uint64_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    if (ec) return std::nullopt;
    return n;
}

}  // namespace

std::optional<ProcFootprint> read_footprint(int pid) {
    const auto memory = read_memory(pid);
    const auto threads = status_field(pid, "Threads:");
    const auto fds = count_fds(pid);
    if (!memory || !threads || !fds) return std::nullopt;
    return ProcFootprint{*fds, *threads, *memory};
}

std::string describe(const ProcFootprint& f) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%llu fds, %llu threads, RSS %.1f MiB",
                  static_cast<unsigned long long>(f.fds),
                  static_cast<unsigned long long>(f.threads),
                  static_cast<double>(f.memory.rss_kib) / 1024.0);
    return buf;
}

std::optional<double> read_cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return std::nullopt;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3..13
    unsigned long long utime = 0, stime = 0;
    if (!(fields >> utime >> stime)) return std::nullopt;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

bool process_alive(int pid) {
    return pid > 0 && ::kill(pid, 0) == 0;
}

}  // namespace chat_bench
