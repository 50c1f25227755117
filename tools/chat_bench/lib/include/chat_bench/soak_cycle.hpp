// One cycle of the soak (soak.hpp): the load phase with its engine switches and misbehaving
// clients, then the checks once the server is quiet again. SoakCycles keeps what lasts from
// cycle to cycle: the engine the server is on and the footprint baseline.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "chat_bench/footprint_judge.hpp"
#include "chat_bench/misbehaving_clients.hpp"
#include "chat_bench/options.hpp"
#include "chat_bench/room_run.hpp"
#include "chat_bench/server_child.hpp"
#include "chat_bench/soak.hpp"
#include "chat_bench/stall_rules.hpp"

namespace chat_bench {

// What one cycle did and found.
struct SoakCycle {
    std::size_t index = 0;
    bool warm_up = false;
    std::vector<std::string> route;  // engines switched to, in order (the last is home)
    double switch_max_ms = 0;
    std::uint64_t said = 0, deliveries = 0, churned = 0, resets = 0;
    std::uint64_t gaps = 0, duplicates = 0, incomplete = 0;
    SlothTrial sloth;
    QuietSpell quiet;
    std::optional<ProcFootprint> footprint;
    std::vector<std::string> problems;
    bool fatal = false;  // the server died or stopped answering: no further cycle
};

class SoakCycles {
  public:
    SoakCycles(const CommonOptions& common, const SoakOptions& options, ServerChild& server,
               RoomRun& run, std::string home, std::vector<std::string> others);

    SoakCycle run_cycle(std::size_t index, bool warm_up);
    FootprintJudge& judge() { return judge_; }
    // The server's descriptors, threads and RSS once threads of closed connections ended.
    std::optional<ProcFootprint> read_settled();

  private:
    std::vector<std::string> route_of(std::size_t index) const;
    void switch_to(const std::string& engine, SoakCycle& c);
    // Runs on its own thread beside the switches: fills its own result.
    struct Misbehaviour {
        SlothTrial sloth;
        std::uint64_t resets = 0;
        std::vector<std::string> problems;
    };
    Misbehaviour misbehave(std::size_t cycle, std::chrono::steady_clock::time_point phase_end);
    void wait_for_churners();
    void check_quiet(SoakCycle& c);

    const CommonOptions& common_;
    const SoakOptions& options_;
    ServerChild& server_;
    RoomRun& run_;
    const std::string home_;
    const std::vector<std::string> others_;
    const std::string flood_room_;
    FootprintJudge judge_;
    std::string current_ = home_;
};

// "cycle 7: poll->epoll (2 ms max), 9.1k deliveries/s, ... ok"
std::string describe_cycle(const SoakCycle& c, const FootprintJudge& judge, double cycle_s);

}  // namespace chat_bench
