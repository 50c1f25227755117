#include "chat_bench/proc_stats.hpp"

#include <signal.h>
#include <unistd.h>

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
