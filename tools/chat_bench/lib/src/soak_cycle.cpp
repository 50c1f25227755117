#include "chat_bench/soak_cycle.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "chat_bench/churner.hpp"
#include "chat_bench/progress.hpp"

namespace chat_bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kCommandTimeout = 60s;  // an answer later than this: the server is stuck
constexpr auto kQuietTimeout = 10s;    // for the server to drop the cycle's connections
constexpr auto kSettle = 5s;           // for threads of closed connections to end
constexpr std::uint64_t kFloodLimit = 64ull << 20;  // far above buffers + max_send_queue

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string mib(std::uint64_t kib) {
    return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB";
}

}  // namespace

SoakCycles::SoakCycles(const CommonOptions& common, const SoakOptions& options, ServerChild& server,
                       RoomRun& run, std::string home, std::vector<std::string> others)
    : common_(common),
      options_(options),
      server_(server),
      run_(run),
      home_(std::move(home)),
      others_(std::move(others)),
      flood_room_("flood" + std::to_string(::getpid())),
      judge_(options.tolerance_pct,
             FootprintJudge::kKeptPerConnectionKib * static_cast<double>(options.members)) {}

std::optional<ProcFootprint> SoakCycles::read_settled() {
    return judge_.settle([&] { return read_footprint(server_.pid()); }, kSettle);
}

// The first warm-up cycle visits every engine once; later cycles go to one other engine and
// back, the other engine rotating.
std::vector<std::string> SoakCycles::route_of(std::size_t index) const {
    if (others_.empty()) return {};
    if (index == 0) {
        std::vector<std::string> all = others_;
        all.push_back(home_);
        return all;
    }
    return {others_[(index - 1) % others_.size()], home_};
}

void SoakCycles::switch_to(const std::string& engine, SoakCycle& c) {
    const auto t0 = Clock::now();
    const auto answer = server_.command("/engine " + engine, kCommandTimeout);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    c.switch_max_ms = std::max(c.switch_max_ms, ms);
    const std::string what = "switch " + current_ + " -> " + engine;
    if (!answer) {
        c.problems.push_back(what + ": no answer within " +
                             std::to_string(kCommandTimeout.count()) + " s");
        c.fatal = true;
        return;
    }
    if (*answer != "engine " + engine)
        c.problems.push_back(what + " failed: " + *answer);
    else
        current_ = engine;
    if (ms > options_.switch_limit_s * 1000)
        c.problems.push_back(what + " took " + fixed(ms, 0) + " ms (limit " +
                             fixed(options_.switch_limit_s * 1000, 0) + " ms)");
}

// The slow consumer first (it needs a few MiB through the kernel before the server's queue
// for it grows), then the resets spread over what is left of the phase.
SoakCycles::Misbehaviour SoakCycles::misbehave(std::size_t cycle, Clock::time_point phase_end) {
    Misbehaviour m;
    const std::string prefix =
        "s" + std::to_string(::getpid() % 100000) + "c" + std::to_string(cycle) + "_";
    m.sloth = cut_off_a_slow_consumer(server_.port(), flood_room_, prefix, kFloodLimit, 15s);
    if (!m.sloth.problem.empty()) m.problems.push_back(m.sloth.problem);
    if (m.sloth.gaps > 0)
        m.problems.push_back(std::to_string(m.sloth.gaps) + " seq gaps in the flooded room");
    const auto left = phase_end - Clock::now();
    const auto step = left / static_cast<long>(options_.resets + 1);
    std::string first_error;
    for (std::size_t k = 0; k < options_.resets; ++k) {
        if (step.count() > 0) std::this_thread::sleep_for(step);
        const std::string error =
            reset_mid_frame(server_.port(), k, run_.plan().room, prefix + "r" + std::to_string(k));
        if (error.empty())
            ++m.resets;
        else if (first_error.empty())
            first_error = error;
    }
    if (!first_error.empty()) m.problems.push_back(first_error);
    return m;
}

void SoakCycles::wait_for_churners() {
    RoomPlan& plan = run_.plan();
    std::unique_lock lock(plan.mutex);
    plan.changed.wait_for(lock, kQuietTimeout, [&] { return plan.churners_open == 0; });
}

// The server must be back to the room's members on the home engine.
void SoakCycles::check_quiet(SoakCycle& c) {
    const auto deadline = Clock::now() + kQuietTimeout;
    std::map<std::string, std::string> stats;
    while (Clock::now() < deadline) {
        stats = server_.stats(kCommandTimeout);
        if (stats.empty()) {
            c.problems.push_back("the server did not answer /stats");
            c.fatal = true;
            return;
        }
        if (stats["sessions"] == std::to_string(options_.members) && stats["engine"] == home_)
            return;
        std::this_thread::sleep_for(50ms);
    }
    c.problems.push_back("the server still had " + stats["sessions"] + " sessions on " +
                         stats["engine"] + " " + std::to_string(kQuietTimeout.count()) +
                         " s after the cycle (" + std::to_string(options_.members) + " on " +
                         home_ + " expected)");
}

SoakCycle SoakCycles::run_cycle(std::size_t index, bool warm_up) {
    SoakCycle c;
    c.index = index;
    c.warm_up = warm_up;
    c.route = route_of(index);
    RoomPlan& plan = run_.plan();
    const std::uint64_t said0 = plan.said.load(), delivered0 = plan.deliveries.load(),
                        churned0 = plan.churn_cycles.load(), gaps0 = plan.gaps.load(),
                        dups0 = plan.duplicates.load();

    run_.ping_members();
    const auto start = Clock::now();
    const auto phase = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options_.cycle_s));
    const auto phase_end = start + phase;
    StallWatch deliveries([&] { return plan.deliveries.load(std::memory_order_relaxed); });
    deliveries.start();
    run_.start_senders();
    Churner churner(run_, options_.members, options_.churners);
    Misbehaviour misbehaviour;
    std::thread chaos([&] { misbehaviour = misbehave(index, phase_end); });
    for (std::size_t i = 0; i < c.route.size() && !c.fatal; ++i) {
        std::this_thread::sleep_until(start + phase * static_cast<long>(i + 1) /
                                                  static_cast<long>(c.route.size() + 1));
        switch_to(c.route[i], c);
    }
    std::this_thread::sleep_until(phase_end);
    c.quiet = deliveries.stop();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    c.said = plan.said.load() - said0;
    c.deliveries = plan.deliveries.load() - delivered0;
    chaos.join();
    c.sloth = misbehaviour.sloth;
    c.resets = misbehaviour.resets;
    for (auto& p : misbehaviour.problems) c.problems.push_back(std::move(p));
    churner.stop();
    run_.stop_senders();
    wait_for_churners();
    c.churned = plan.churn_cycles.load() - churned0;
    if (churner.connect_failures() > 0)
        c.problems.push_back(std::to_string(churner.connect_failures()) +
                             " churn connects failed: " + churner.first_failure());

    const std::uint64_t last = run_.drain(10);
    c.gaps = plan.gaps.load() - gaps0;
    c.duplicates = plan.duplicates.load() - dups0;
    c.incomplete = run_.behind(last);
    if (c.gaps > 0) c.problems.push_back(std::to_string(c.gaps) + " seq gaps (lost messages)");
    if (c.duplicates > 0)
        c.problems.push_back(std::to_string(c.duplicates) + " messages twice or out of order");
    if (c.incomplete > 0)
        c.problems.push_back(std::to_string(c.incomplete) + " members had not seen seq " +
                             std::to_string(last) + " 10 s after the senders stopped");
    if (plan.lost_members.load() > 0) {
        c.problems.push_back("room members lost: " + plan.first_error);
        c.fatal = true;  // the seq checks and the footprint assume the same members
    }
    Report flow("cycle");
    check_stall(flow, c.quiet, common_.stall_limit_s, "delivery", "no member got a message");
    check_delivered_share(flow, static_cast<double>(c.said * options_.members) / seconds,
                          static_cast<double>(c.deliveries) / seconds);
    for (const auto& p : flow.problems()) c.problems.push_back(p);

    if (!c.fatal) check_quiet(c);
    if (!server_.alive()) {
        c.problems.push_back("the server died");
        c.fatal = true;
    }
    if (c.fatal) return c;
    c.footprint = read_settled();
    if (!c.footprint) {
        c.problems.push_back("cannot read /proc/" + std::to_string(server_.pid()));
        c.fatal = true;
    } else if (c.warm_up) {
        judge_.warm_up(*c.footprint);
    } else {
        for (auto& p : judge_.judge(*c.footprint)) c.problems.push_back(std::move(p));
    }
    return c;
}

std::string describe_cycle(const SoakCycle& c, const FootprintJudge& judge, double cycle_s) {
    std::string line =
        "cycle " + std::to_string(c.index + 1) + (c.warm_up ? " (warm-up)" : "") + ":";
    std::string route;
    for (const auto& e : c.route) route += (route.empty() ? " " : "->") + e;
    if (!route.empty()) line += route + " (" + fixed(c.switch_max_ms, 0) + " ms max),";
    line += " " + si(c.deliveries / cycle_s) + " deliveries/s, " + std::to_string(c.churned) +
            " churned, " + std::to_string(c.resets) + " resets, slow consumer " +
            (c.sloth.cut_off ? "cut at " + mib(c.sloth.flooded_bytes >> 10) : "NOT cut") + ", " +
            std::to_string(c.gaps) + " gaps, " + std::to_string(c.duplicates) +
            " dups, longest silence " + fixed(c.quiet.longest_s * 1000, 0) + " ms";
    if (c.footprint) {
        const auto& f = *c.footprint;
        line += "; " + describe(f);
        if (judge.has_baseline() && !c.warm_up) {
            const auto& b = judge.baseline();
            const double d = 100.0 * (static_cast<double>(f.memory.rss_kib) /
                                          static_cast<double>(b.memory.rss_kib) -
                                      1.0);
            line += " (baseline " + std::to_string(b.fds) + ", " + std::to_string(b.threads) +
                    ", " + mib(b.memory.rss_kib) + "; RSS " + (d >= 0 ? "+" : "") + fixed(d, 1) +
                    "%)";
        }
    }
    line += c.problems.empty() ? " ok" : " FAILED: " + c.problems.front();
    return line;
}

}  // namespace chat_bench
