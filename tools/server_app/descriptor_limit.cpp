#include "descriptor_limit.hpp"

#ifndef _WIN32
#include <sys/resource.h>
#endif

DescriptorLimitOutcome fit_descriptor_limit([[maybe_unused]] std::size_t max_sessions) {
    DescriptorLimitOutcome out;
#ifndef _WIN32
    const rlim_t wanted = static_cast<rlim_t>(max_sessions + kDescriptorsBesideSessions);
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur >= wanted)
        return out;
    const rlim_t before = limit.rlim_cur;
    const rlim_t ceiling = limit.rlim_max == RLIM_INFINITY ? wanted : limit.rlim_max;
    limit.rlim_cur = wanted < ceiling ? wanted : ceiling;
    if (limit.rlim_cur > before && ::setrlimit(RLIMIT_NOFILE, &limit) == 0)
        out.info = "raised the descriptor limit from " + std::to_string(before) + " to " +
                   std::to_string(limit.rlim_cur) + " for --max-sessions " +
                   std::to_string(max_sessions);
    else
        limit.rlim_cur = before;
    if (limit.rlim_cur < wanted) {
        const rlim_t room = limit.rlim_cur > kDescriptorsBesideSessions
                                ? limit.rlim_cur - kDescriptorsBesideSessions
                                : 0;
        out.warning = "the descriptor limit " + std::to_string(limit.rlim_cur) + " (hard limit " +
                      std::to_string(limit.rlim_max) + ") allows about " + std::to_string(room) +
                      " sessions, fewer than --max-sessions " + std::to_string(max_sessions) +
                      "; past it clients get server_full (raise it with ulimit -n or "
                      "LimitNOFILE=, or lower --max-sessions)";
    }
#endif
    return out;
}
