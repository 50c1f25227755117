#include "chat_bench/churn.hpp"

#include "chat_bench/churner.hpp"
#include "chat_bench/fanout.hpp"
#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"

namespace chat_bench {

Report run_churn(const CommonOptions& common, const ChurnOptions& options) {
    Report report("churn");
    const std::size_t members = preflight(common, options.room.members + options.churners, report);
    RoomOptions o = options.room;
    o.members = std::min(o.members, members);
    o.senders = std::min(o.senders, o.members);
    RoomRun run(common, o, options.churners * 4);
    RoomPlan& plan = run.plan();
    run.open_members(report);

    std::uint64_t last_cycles = 0, last_deliveries = 0;
    auto last_t = std::chrono::steady_clock::now();
    Progress progress(common.progress, "churn", [&] {
        const std::uint64_t c = plan.churn_cycles.load(), d = plan.deliveries.load();
        const double dt = seconds_since(last_t);
        last_t = std::chrono::steady_clock::now();
        const std::string line = si((c - last_cycles) / dt) + " cycles/s, " +
                                 si((d - last_deliveries) / dt) + " deliveries/s, " +
                                 std::to_string(plan.gaps.load()) + " gaps";
        last_cycles = c;
        last_deliveries = d;
        return line;
    });

    ServerSampler server(common.server_pid);
    Churner churner(run, o.members, options.churners);
    const RoomWindow w = run.measure(common, server, progress, [&] { churner.stop(); });
    run.stop();
    const auto latency = run.latency();

    report.fact("target", common.host + ":" + std::to_string(common.port));
    report.fact("room", plan.room);
    report.add("members", static_cast<double>(o.members), "", "chatting members");
    report.add("churners", static_cast<double>(options.churners), "", "connections cycling");
    report.add("seconds", w.seconds, "s", "measured");
    report.add("churn_per_s", w.churn_cycles / w.seconds, "cycles/s",
               "churn (connect, HELLO, JOIN, close)");
    report.add("deliveries_per_s", w.deliveries / w.seconds, "deliveries/s", "messages delivered");
    add_delivery_latency(report, latency);
    report.add("churn_failures",
               static_cast<double>(plan.churn_failures.load() + churner.connect_failures()), "",
               "churn cycles that failed");
    run.check_order(report, w.last_seq);
    run.check_flow(report, w, common.stall_limit_s);
    check_stall(report, w.churn_quiet, common.stall_limit_s, "churn_cycle",
                "no churning connection completed its cycle");
    server.report_to(report);
    if (w.churn_cycles == 0) report.problem("no connection completed a churn cycle");
    if (churner.connect_failures() > 0)
        report.problem(std::to_string(churner.connect_failures()) +
                       " churn connects failed: " + churner.first_failure());
    if (plan.lost_members.load() > 0)
        report.problem(std::to_string(plan.lost_members.load()) +
                       " chatting members lost: " + plan.first_error);
    return report;
}

}  // namespace chat_bench
