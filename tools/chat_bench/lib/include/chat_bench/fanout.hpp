// fanout: members in one room, some of them saying; every MESSAGE reaches every member.
// Measures deliveries/s and delivery latency, and checks that every member saw every seq
// exactly once, in order.
#pragma once

#include "chat_bench/options.hpp"
#include "chat_bench/report.hpp"
#include "chat_bench/room_run.hpp"

namespace chat_bench {

Report run_fanout(const CommonOptions& common, const RoomOptions& options);

// Adds delivery latency percentiles (from a room run's histogram) to a report.
void add_delivery_latency(Report& report, const LatencyHistogram& h);

}  // namespace chat_bench
