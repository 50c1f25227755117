// connect: N connections opened (from several loopback source addresses when N needs more
// ports than one has) and held open, each logged in with HELLO. Measures the connect rate
// and, with --server-pid, the server's memory per session and its CPU while they idle.
#pragma once

#include <cstddef>

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"

namespace chat_bench {

struct ConnectOptions {
    std::size_t connections = 1000;
    std::size_t max_pending = 512;  // connected but not yet welcomed: keeps the accept queue short
    double hold_s = 2;              // idle time with every session open
};

Report run_connect(const CommonOptions& common, const ConnectOptions& options);

}  // namespace chat_bench
