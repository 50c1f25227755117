// pingpong: C connections, each keeping D ECHO frames of S bytes in flight. Each frame's
// body starts with its send time, so every echo gives one round-trip latency.
#pragma once

#include <cstddef>

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"

namespace chat_bench {

struct PingpongOptions {
    std::size_t connections = 100;
    std::size_t depth = 8;         // frames in flight per connection
    std::size_t frame_bytes = 64;  // whole frame, 4-byte header included (>= 12)
    bool hello = true;             // log in first, so handshake timeouts never cut a long run
};

Report run_pingpong(const CommonOptions& common, const PingpongOptions& options);

}  // namespace chat_bench
