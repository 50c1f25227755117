// The frame of a room scenario: members connected and joined, senders paced (open loop, a
// fixed rate) or closed loop (each keeps `window` messages in flight), then a drain that
// waits for every member to reach the last seq. fanout and churn are built on it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "chat_bench/fleet.hpp"
#include "chat_bench/report.hpp"
#include "chat_bench/room_worker.hpp"
#include "chat_bench/stall_rules.hpp"

namespace chat_bench {

struct RoomOptions {
    std::size_t members = 100;
    std::size_t senders = 10;
    double rate = 0;         // messages/s over all senders; 0: closed loop
    std::size_t window = 4;  // closed loop: messages in flight per sender
    std::size_t text_bytes = 32;
    std::string room;           // empty: one of this process's own
    double join_timeout_s = 0;  // 0: 10 s plus 30 ms per member (joins cost O(members))
};

class Progress;
class ServerSampler;

// What a measured window saw: the counters' growth over it and its length.
struct RoomWindow {
    double seconds = 0;
    std::uint64_t said = 0, deliveries = 0, churn_cycles = 0;
    std::uint64_t last_seq = 0;              // after the drain
    QuietSpell delivery_quiet, churn_quiet;  // the longest stretches with nothing delivered
};

class RoomRun {
  public:
    RoomRun(const CommonOptions& common, const RoomOptions& options, std::size_t extra_conns);
    ~RoomRun();

    // Connects the members, each logs in and joins; throws SetupError when none can.
    void open_members(Report& report);
    void start_senders();
    void stop_senders();
    // A PING from every member: members that only listen would otherwise reach the server's
    // idle timeout in a long run (soak).
    void ping_members();
    // Waits (at most `timeout_s`) for every member to see the last seq; returns that seq.
    std::uint64_t drain(double timeout_s);
    void stop();  // closes every connection

    // The whole timed part of a scenario: senders on, warm-up, the measured window (latency
    // recorded, the server sampled), then `after_window` (e.g. stop churning), senders off,
    // `progress` stopped, and the drain to the last seq.
    RoomWindow measure(const CommonOptions& common, ServerSampler& server, Progress& progress,
                       const std::function<void()>& after_window = {});

    RoomPlan& plan() { return plan_; }
    Fleet& fleet() { return *fleet_; }
    std::size_t behind(std::uint64_t last_seq) const;
    LatencyHistogram latency() const;  // after stop()
    // Adds the seq checks (gaps, duplicates, tails) to the report; after drain().
    void check_order(Report& report, std::uint64_t last_seq) const;
    // Adds the stall rule on deliveries and, in open loop, the delivered share of the offered
    // load (every message said is owed to every member).
    void check_flow(Report& report, const RoomWindow& w, double stall_limit_s) const;

  private:
    void pace();

    RoomOptions options_;
    RoomPlan plan_;
    std::vector<std::unique_ptr<RoomWorker>> workers_;
    std::unique_ptr<Fleet> fleet_;
    std::atomic<bool> pacing_{false};
    std::thread pacer_;
};

}  // namespace chat_bench
