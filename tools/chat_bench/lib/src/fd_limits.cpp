#include "chat_bench/fd_limits.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace chat_bench {
namespace {

std::uint64_t nr_open() {
    std::ifstream in("/proc/sys/fs/nr_open");
    std::uint64_t n = 0;
    return (in >> n) ? n : 0;
}

std::uint64_t open_descriptors() {
    std::uint64_t n = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (const dirent* e = ::readdir(dir))
            if (e->d_name[0] != '.') ++n;
        ::closedir(dir);
    }
    return n;
}

}  // namespace

FdLimits raise_fd_limit() {
    FdLimits out;
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    const std::uint64_t ceiling = nr_open();
    if (ceiling > rl.rlim_max) {
        rlimit wanted{static_cast<rlim_t>(ceiling), static_cast<rlim_t>(ceiling)};
        if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0) {
            rl = wanted;
        } else {
            out.note = "the hard limit " + std::to_string(rl.rlim_max) +
                       " cannot be raised (setrlimit: " + std::strerror(errno) +
                       "; raising it needs CAP_SYS_RESOURCE, which this process lacks)";
        }
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    ::getrlimit(RLIMIT_NOFILE, &rl);
    out.soft = rl.rlim_cur;
    out.hard = rl.rlim_max;
    return out;
}

std::uint64_t fd_headroom(const FdLimits& limits) {
    const std::uint64_t reserved = open_descriptors() + 32;
    return limits.soft > reserved ? limits.soft - reserved : 0;
}

std::string explain_fd_shortfall(const FdLimits& limits, std::uint64_t wanted) {
    const std::uint64_t room = fd_headroom(limits);
    if (wanted <= room) return {};
    std::string why = std::to_string(wanted) + " connections need " + std::to_string(wanted) +
                      " descriptors, but this process may open only about " + std::to_string(room) +
                      " more (RLIMIT_NOFILE soft " + std::to_string(limits.soft) + ", hard " +
                      std::to_string(limits.hard) + ")";
    if (!limits.note.empty()) why += "; " + limits.note;
    why +=
        ". Lower the count, pass --fit to use what the limit allows, or raise the hard "
        "limit (ulimit -Hn as root, LimitNOFILE= for a service). The server needs as "
        "many descriptors of its own.";
    return why;
}

}  // namespace chat_bench
