// What /proc says about another process (the server under test): memory and CPU time.
#pragma once

#include <cstdint>
#include <optional>

namespace chat_bench {

struct ProcMemory {
    std::uint64_t rss_kib = 0;       // VmRSS: resident, user space only
    std::uint64_t rss_anon_kib = 0;  // RssAnon: heap and stacks, the part sessions grow
};

std::optional<ProcMemory> read_memory(int pid);   // nullopt when the process is gone
std::optional<double> read_cpu_seconds(int pid);  // user + system time, all threads
bool process_alive(int pid);

}  // namespace chat_bench
