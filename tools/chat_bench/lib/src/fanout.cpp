#include "chat_bench/fanout.hpp"

#include "chat_bench/fleet.hpp"
#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"

namespace chat_bench {

void add_delivery_latency(Report& report, const LatencyHistogram& h) {
    report.add("latency_p50_us", h.percentile(0.50) / 1e3, "us", "delivery p50");
    report.add("latency_p99_us", h.percentile(0.99) / 1e3, "us", "delivery p99");
    report.add("latency_p999_us", h.percentile(0.999) / 1e3, "us", "delivery p99.9");
    report.add("latency_max_us", h.max() / 1e3, "us", "delivery max");
}

Report run_fanout(const CommonOptions& common, const RoomOptions& options) {
    Report report("fanout");
    const std::size_t members = preflight(common, options.members, report);
    RoomOptions o = options;
    o.members = members;
    o.senders = std::min(o.senders, members);
    RoomRun run(common, o, 0);
    RoomPlan& plan = run.plan();
    const auto setup_start = std::chrono::steady_clock::now();
    run.open_members(report);
    const double setup_s = seconds_since(setup_start);

    std::uint64_t last_deliveries = 0;
    auto last_t = std::chrono::steady_clock::now();
    Progress progress(common.progress, "fanout", [&] {
        const std::uint64_t d = plan.deliveries.load();
        const double dt = seconds_since(last_t);
        last_t = std::chrono::steady_clock::now();
        const double rate = (d - last_deliveries) / dt;
        last_deliveries = d;
        return si(rate) + " deliveries/s, " + si(plan.said.load()) + " said, " +
               std::to_string(plan.gaps.load()) + " gaps, " +
               std::to_string(run.fleet().open_connections()) + " open";
    });

    ServerSampler server(common.server_pid);
    const RoomWindow w = run.measure(common, server, progress);
    const auto latency = [&] {
        run.stop();
        return run.latency();
    }();

    report.fact("target", target_text(common));
    if (!common.servers.empty())
        report.add("servers", static_cast<double>(common.servers.size()), "", "servers");
    report.fact("room", plan.room);
    report.fact("load",
                o.rate > 0
                    ? std::to_string(static_cast<long long>(o.rate)) + " messages/s (open loop)"
                    : "closed loop, " + std::to_string(o.window) + " in flight per sender");
    report.add("members", static_cast<double>(members), "", "members");
    report.add("senders", static_cast<double>(o.senders), "", "senders");
    report.add("join_seconds", setup_s, "s", "all joined after");
    report.add("seconds", w.seconds, "s", "measured");
    report.add("messages_per_s", w.said / w.seconds, "msg/s", "messages said");
    report.add("deliveries_per_s", w.deliveries / w.seconds, "deliveries/s", "messages delivered");
    add_delivery_latency(report, latency);
    report.add("last_seq", static_cast<double>(w.last_seq), "", "last seq");
    run.check_order(report, w.last_seq);
    run.check_flow(report, w, common.stall_limit_s);
    server.report_to(report);
    if (w.deliveries == 0) report.problem("no message was delivered in the measured window");
    if (plan.lost_members.load() > 0 || !plan.first_error.empty())
        report.problem(std::to_string(plan.lost_members.load()) +
                       " members lost; first error: " + plan.first_error);
    return report;
}

}  // namespace chat_bench
