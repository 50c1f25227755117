// What /proc says about another process (the server under test): memory and CPU time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace chat_bench {

struct ProcMemory {
    std::uint64_t rss_kib = 0;       // VmRSS: resident, user space only
    std::uint64_t rss_anon_kib = 0;  // RssAnon: heap and stacks, the part sessions grow
};

// What a leak would grow: descriptors, threads and memory (a soak compares them over time).
struct ProcFootprint {
    std::uint64_t fds = 0;
    std::uint64_t threads = 0;
    ProcMemory memory;
};

std::optional<ProcMemory> read_memory(int pid);  // nullopt when the process is gone
std::optional<ProcFootprint> read_footprint(int pid);
std::optional<double> read_cpu_seconds(int pid);  // user + system time, all threads
bool process_alive(int pid);
// "41 fds, 3 threads, RSS 13.1 MiB"
std::string describe(const ProcFootprint& f);

}  // namespace chat_bench
