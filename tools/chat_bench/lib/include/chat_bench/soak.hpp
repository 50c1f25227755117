// soak: a long mixed run against a chat_server that chat_bench starts itself, in cycles.
// Each cycle is a load phase (a room chatting at a fixed rate, connections churning through
// it, a member that never reads until the server cuts it off, connections reset mid-frame)
// with live engine switches in it (home -> another engine -> home; the other engine rotates),
// then a check once the server is quiet again: every member saw every seq once, the server
// is back to the room's members only, and its descriptors, threads and RSS are still those of
// the baseline taken after the warm-up cycles (footprint_judge.hpp). One line per cycle.
#pragma once

#include <string>
#include <vector>

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"

namespace chat_bench {

struct SoakOptions {
    double minutes = 2;  // the whole run, warm-up included; the last cycle finishes
    double cycle_s = 6;  // load phase of a cycle: switches at 1/3 and 2/3 of it
    // Cycles before the baseline (the first visits every engine); 0: those of the first fifth
    // of the run, at least 2, so that the allocator has reached its working size.
    std::size_t warmup_cycles = 0;
    std::size_t members = 30;
    std::size_t senders = 3;
    double rate = 300;  // messages/s over the senders, open loop
    std::size_t churners = 8;
    std::size_t resets = 24;    // connections reset mid-frame per cycle
    double tolerance_pct = 5;   // descriptors, threads, RSS against the baseline
    double switch_limit_s = 5;  // a slower engine switch fails the cycle
    std::string server_binary;  // empty: chat_server beside chat_bench
    std::vector<std::string> server_args;
    std::string server_log;            // empty: the server's stderr is chat_bench's
    std::vector<std::string> engines;  // switched through; empty: all the server lists
};

Report run_soak(CommonOptions common, const SoakOptions& options);

// The server's arguments with what the soak needs added unless given: --port 0,
// --rate-limit 0 (the flooder and senders must not be throttled), --max-send-queue 256KiB
// (less to flood before the slow consumer is cut off) and --log-level warn.
std::vector<std::string> soak_server_args(std::vector<std::string> args);

}  // namespace chat_bench
