// resume: a reconnect storm (protocol revision 2). Members of one room follow it with RESUME;
// talkers keep saying at a fixed rate. Then every member drops at once, stays away for a
// moment, and all reconnect and RESUME from the last seq they saw, while the talkers go on.
// Measures the time until every member has caught up (received all it missed) and the
// server's CPU meanwhile, and checks that no member missed or repeated a message: each
// RESUMED must continue exactly after the member's last seq in the same epoch, and each
// member's run of seq must be unbroken to the end. A server that cannot replay (--history 0, a
// history shorter than what was missed, a revision 1 server) fails the run.
#pragma once

#include <cstddef>
#include <string>

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"

namespace chat_bench {

struct ResumeOptions {
    std::size_t members = 200;     // drop and resume at once
    std::size_t talkers = 4;       // keep saying throughout
    double rate = 200;             // messages/s over all talkers
    double away_s = 1.0;           // how long the members stay away
    double catch_up_limit_s = 30;  // fail when the storm has not caught up by then
    std::string room;              // empty: resume<pid>
};

Report run_resume(const CommonOptions& common, const ResumeOptions& options);

}  // namespace chat_bench
