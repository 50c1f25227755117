// How many descriptors this process may open: the soft limit is raised to the hard one, and
// the hard one towards /proc/sys/fs/nr_open when the process may (CAP_SYS_RESOURCE).
#pragma once

#include <cstdint>
#include <string>

namespace chat_bench {

struct FdLimits {
    std::uint64_t soft = 0;  // after raising: what this process may open now
    std::uint64_t hard = 0;
    std::string note;  // why the hard limit could not go higher, when it could not
};

FdLimits raise_fd_limit();

// Descriptors left for connections: the soft limit minus what is open already and a margin
// for files, the engine's own descriptors and /proc reads.
std::uint64_t fd_headroom(const FdLimits& limits);

// A readable refusal for `wanted` connections when they do not fit, else empty.
std::string explain_fd_shortfall(const FdLimits& limits, std::uint64_t wanted);

}  // namespace chat_bench
