#include "chat_bench/soak.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"
#include "chat_bench/soak_cycle.hpp"

namespace chat_bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMinWarmupCycles = 2;
constexpr std::size_t kProblemsKept = 40;

bool has_option(const std::vector<std::string>& args, const std::string& name) {
    return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
        return a == name || a.rfind(name + "=", 0) == 0;
    });
}

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

std::vector<std::string> soak_server_args(std::vector<std::string> args) {
    if (!has_option(args, "--port")) args.insert(args.end(), {"--port", "0"});
    if (!has_option(args, "--rate-limit")) args.insert(args.end(), {"--rate-limit", "0"});
    if (!has_option(args, "--max-send-queue"))
        args.insert(args.end(), {"--max-send-queue", "256KiB"});
    if (!has_option(args, "--log-level")) args.insert(args.end(), {"--log-level", "warn"});
    return args;
}

Report run_soak(CommonOptions common, const SoakOptions& options) {
    Report report("soak");
    if (options.senders == 0 || options.senders > options.members)
        throw SetupError("--senders must be 1..members");
    if (options.rate <= 0) throw SetupError("--rate must be above 0 (the soak runs open loop)");
    const std::string binary =
        options.server_binary.empty() ? default_server_binary() : options.server_binary;
    const std::vector<std::string> listed = list_server_engines(binary);
    std::vector<std::string> engines = options.engines.empty() ? listed : options.engines;
    for (const auto& e : engines)
        if (std::find(listed.begin(), listed.end(), e) == listed.end())
            throw SetupError("--engines: " + binary + " has no engine '" + e + "'");

    const std::vector<std::string> args = soak_server_args(options.server_args);
    ServerChild server(binary, args, options.server_log);
    const std::string home = server.first_engine();
    std::vector<std::string> others;
    for (const auto& e : engines)
        if (e != home) others.push_back(e);
    common.host = "127.0.0.1";
    common.port = server.port();
    common.server_pid = server.pid();
    preflight(common, options.members + options.churners * 4, report);

    RoomOptions room;
    room.members = options.members;
    room.senders = options.senders;
    room.rate = options.rate;
    room.room = "soak" + std::to_string(::getpid());
    RoomRun run(common, room, options.churners * 4);
    run.open_members(report);

    std::string command = binary;
    for (const auto& a : args) command += " " + a;
    std::string rotation;
    for (const auto& e : others) rotation += (rotation.empty() ? "" : ",") + e;
    report.fact("server", command);
    report.fact("home engine", home);
    report.fact("switched to", rotation.empty() ? "(no other engine)" : rotation);
    Progress progress(common.progress, "soak", {});
    progress.say("server pid " + std::to_string(server.pid()) + " on " + home + ", switching to " +
                 (rotation.empty() ? "nothing" : rotation) + "; " +
                 (options.warmup_cycles > 0
                      ? std::to_string(options.warmup_cycles) + " warm-up cycles"
                      : "warm-up for " + fixed(options.minutes * 60 / 5, 0) + " s") +
                 ", " + fixed(options.minutes, 1) + " min in all");

    SoakCycles soak(common, options, server, run, home, others);
    const auto start_footprint = soak.read_settled();
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(options.minutes * 60));
    std::size_t cycles = 0, judged = 0, failed = 0, switches = 0;
    std::uint64_t deliveries = 0, churned = 0, resets = 0, cut = 0, gaps = 0, dups = 0,
                  incomplete = 0;
    double switch_max = 0, quiet_max = 0;
    std::uint64_t rss_max = 0;
    std::optional<ProcFootprint> last;
    std::size_t problems_left_out = 0;
    const auto warm_until = t0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.minutes * 60 / 5));
    bool warming = true;
    for (std::size_t i = 0;; ++i) {
        warming = warming &&
                  (options.warmup_cycles > 0 ? i < options.warmup_cycles
                                             : i < kMinWarmupCycles || Clock::now() < warm_until);
        const bool warm_up = warming;
        if (!warm_up && judged > 0 && Clock::now() >= deadline) break;
        const SoakCycle c = soak.run_cycle(i, warm_up);
        progress.say(describe_cycle(c, soak.judge(), options.cycle_s));
        ++cycles;
        if (!warm_up) ++judged;
        if (!c.problems.empty()) ++failed;
        switches += c.route.size();
        deliveries += c.deliveries;
        churned += c.churned;
        resets += c.resets;
        cut += c.sloth.cut_off ? 1 : 0;
        gaps += c.gaps;
        dups += c.duplicates;
        incomplete += c.incomplete;
        switch_max = std::max(switch_max, c.switch_max_ms);
        quiet_max = std::max(quiet_max, c.quiet.longest_s);
        if (c.footprint) {
            last = c.footprint;
            rss_max = std::max(rss_max, c.footprint->memory.rss_kib);
        }
        for (const auto& p : c.problems) {
            if (report.problems().size() < kProblemsKept)
                report.problem("cycle " + std::to_string(i + 1) + ": " + p);
            else
                ++problems_left_out;
        }
        if (c.fatal) break;
    }
    if (problems_left_out > 0)
        report.problem(std::to_string(problems_left_out) + " more problems left out");
    const double minutes = std::chrono::duration<double>(Clock::now() - t0).count() / 60;
    run.stop();
    const std::string ending = server.stop();
    if (ending != "stopped cleanly") report.problem("the server at the end: " + ending);

    report.add("minutes", minutes, "min", "soaked");
    report.add("cycles", static_cast<double>(cycles), "", "cycles");
    report.add("judged_cycles", static_cast<double>(judged), "", "cycles after the warm-up");
    report.add("failed_cycles", static_cast<double>(failed), "", "cycles with a problem");
    report.add("switches", static_cast<double>(switches), "", "engine switches");
    report.add("switch_max_ms", switch_max, "ms", "slowest switch");
    report.add("deliveries", static_cast<double>(deliveries), "", "messages delivered");
    report.add("delivery_quiet_max_s", quiet_max, "s", "longest time with no delivery");
    report.add("churn_cycles", static_cast<double>(churned), "", "churn cycles");
    report.add("resets", static_cast<double>(resets), "", "connections reset mid-frame");
    report.add("slow_consumers_cut", static_cast<double>(cut), "", "slow consumers cut off");
    report.add("gaps", static_cast<double>(gaps), "", "seq gaps (lost messages)");
    report.add("duplicates", static_cast<double>(dups), "", "seq duplicates or reorderings");
    report.add("incomplete_members", static_cast<double>(incomplete), "",
               "members short of the last seq after a cycle");
    const auto add_footprint = [&](const std::string& when, const ProcFootprint& f) {
        report.add("fd_" + when, static_cast<double>(f.fds), "", "descriptors, " + when);
        report.add("threads_" + when, static_cast<double>(f.threads), "", "threads, " + when);
        report.add("rss_" + when + "_kib", static_cast<double>(f.memory.rss_kib), "KiB",
                   "RSS, " + when);
        report.add("rss_anon_" + when + "_kib", static_cast<double>(f.memory.rss_anon_kib), "KiB",
                   "RssAnon, " + when);
    };
    if (start_footprint) add_footprint("start", *start_footprint);
    if (soak.judge().has_baseline()) add_footprint("baseline", soak.judge().baseline());
    if (last) add_footprint("end", *last);
    report.add("rss_max_kib", static_cast<double>(rss_max), "KiB", "RSS, highest after a cycle");
    return report;
}

}  // namespace chat_bench
