#include "cpu_meter.hpp"

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX  // windows.h would define min and max as macros
#endif
#include <windows.h>
#else
#include <unistd.h>

#include <cstdio>
#include <cstring>
#endif

namespace server_gui {

#ifdef _WIN32
double process_cpu_seconds() {
    FILETIME created, exited, kernel, user;
    if (!GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user)) return -1;
    auto to_s = [](const FILETIME& t) {
        const unsigned long long ticks =
            (static_cast<unsigned long long>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
        return static_cast<double>(ticks) / 1e7;  // 100 ns units
    };
    return to_s(kernel) + to_s(user);
}
#else
double process_cpu_seconds() {
    // /proc/self/stat: the command name (field 2) may hold spaces and parentheses, so parse
    // from the last ')'; utime and stime are fields 14 and 15, in clock ticks.
    std::FILE* f = std::fopen("/proc/self/stat", "r");
    if (!f) return -1;
    char buf[1024];
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    // After ")": state(3) then fields 4..13 to skip, then utime(14) stime(15).
    if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                    &stime) != 2)
        return -1;
    const long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? static_cast<double>(utime + stime) / static_cast<double>(hz) : -1;
}
#endif

CpuMeter::CpuMeter()
    : last_cpu_s_(process_cpu_seconds()), last_wall_(std::chrono::steady_clock::now()) {}

double CpuMeter::sample() {
    const double cpu = process_cpu_seconds();
    const auto now = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(now - last_wall_).count();
    double percent = 0;
    if (cpu >= 0 && last_cpu_s_ >= 0 && wall > 0) percent = (cpu - last_cpu_s_) / wall * 100.0;
    last_cpu_s_ = cpu;
    last_wall_ = now;
    return percent < 0 ? 0 : percent;
}

}  // namespace server_gui
