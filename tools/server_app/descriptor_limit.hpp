// The descriptor limit at start, as redis does it: when --max-sessions needs more descriptors
// than the soft limit allows, the soft limit is raised (up to the hard one); what still does not
// fit is said in a warning. Running out later is handled by netcore (ERROR server_full, logged).
#pragma once

#include <cstddef>
#include <string>

// Descriptors the server needs beside its sessions: listeners, the engine's own (epoll, pipes,
// io_uring), the reserve for shedding, log files, the admin and metrics sockets.
inline constexpr std::size_t kDescriptorsBesideSessions = 64;

// Raises RLIMIT_NOFILE's soft limit to fit `max_sessions`. Returns what the operator should
// read at start: "" when it fits, else a note of what was raised or a warning of the shortfall.
// Windows has no such limit: "".
struct DescriptorLimitOutcome {
    std::string info;     // the limit was raised
    std::string warning;  // it still does not fit
};
DescriptorLimitOutcome fit_descriptor_limit(std::size_t max_sessions);
