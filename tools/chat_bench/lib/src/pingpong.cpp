#include "chat_bench/pingpong.hpp"

#include <memory>

#include "chat/codec.hpp"
#include "chat_bench/echo_worker.hpp"
#include "chat_bench/fleet.hpp"
#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"
#include "chat_bench/stall_rules.hpp"

namespace chat_bench {
namespace {

struct Totals {
    std::uint64_t frames = 0, bytes = 0, opened = 0, lost = 0, errors = 0;
};

Totals sum(const std::vector<std::unique_ptr<EchoWorker>>& workers) {
    Totals t;
    for (const auto& w : workers) {
        t.frames += w->frames();
        t.bytes += w->bytes();
        t.opened += w->opened();
        t.lost += w->unexpected_closes();
        t.errors += w->errors();
    }
    return t;
}

void add_latency(Report& report, const LatencyHistogram& h) {
    report.add("latency_p50_us", h.percentile(0.50) / 1e3, "us", "round trip p50");
    report.add("latency_p99_us", h.percentile(0.99) / 1e3, "us", "round trip p99");
    report.add("latency_p999_us", h.percentile(0.999) / 1e3, "us", "round trip p99.9");
    report.add("latency_max_us", h.max() / 1e3, "us", "round trip max");
}

}  // namespace

Report run_pingpong(const CommonOptions& common, const PingpongOptions& options) {
    Report report("pingpong");
    if (options.frame_bytes < chat::kHeaderSize + 8 || options.frame_bytes > chat::kMaxFrame)
        throw SetupError(
            "--size must be 12..65535 bytes (a whole frame: 4-byte header, then "
            "an 8-byte timestamp)");
    if (options.depth == 0) throw SetupError("--depth must be at least 1");
    const std::size_t n = preflight(common, options.connections, report);

    std::vector<std::unique_ptr<EchoWorker>> workers;
    std::vector<netcore::ConnectionHandler*> handlers;
    auto nicks = std::make_shared<std::atomic<std::size_t>>(0);
    for (unsigned i = 0; i < std::max(1u, common.threads); ++i) {
        workers.push_back(std::make_unique<EchoWorker>(options.depth, options.frame_bytes));
        if (options.hello)
            workers.back()->set_greeting([common, nicks] {
                return chat::encode(chat::Hello{chat::kProtocolVersion,
                                                make_nick(common, nicks->fetch_add(1)), ""});
            });
        handlers.push_back(workers.back().get());
    }
    Fleet fleet(common, handlers, n);
    fleet.start();

    std::size_t connected = 0;
    std::string first_failure;
    for (std::size_t i = 0; i < n; ++i) {
        std::string error;
        if (fleet.connect(i, error))
            ++connected;
        else if (first_failure.empty())
            first_failure = error;
    }
    if (connected == 0) throw SetupError("no connection could be opened: " + first_failure);
    if (connected < n)
        report.problem(std::to_string(n - connected) + " of " + std::to_string(n) +
                       " connections failed: " + first_failure);

    Totals last{};
    auto last_t = std::chrono::steady_clock::now();
    Progress progress(common.progress, "pingpong", [&] {
        const Totals now = sum(workers);
        const double dt = seconds_since(last_t);
        last_t = std::chrono::steady_clock::now();
        const double fps = (now.frames - last.frames) / dt;
        const double mib = (now.bytes - last.bytes) / dt / (1 << 20);
        last = now;
        return si(fps) + " frames/s, " + si(mib) + " MiB/s, " +
               std::to_string(fleet.open_connections()) + " open, " + std::to_string(now.errors) +
               " errors";
    });

    ServerSampler server(common.server_pid);
    sleep_seconds(common.warmup_s);
    const Totals start = sum(workers);
    const auto t0 = std::chrono::steady_clock::now();
    server.begin();
    progress.say("measuring for " + seconds_text(common.duration_s));
    StallWatch echoes([&] { return sum(workers).frames; });
    echoes.start();
    for (auto& w : workers) w->set_recording(true);
    sleep_seconds(common.duration_s);
    for (auto& w : workers) w->set_recording(false);
    const QuietSpell quiet = echoes.stop();
    const Totals end = sum(workers);
    const double elapsed = seconds_since(t0);
    server.end();
    progress.stop();
    const std::size_t open_at_end = fleet.open_connections();
    const std::string load_engine = fleet.engine_name();
    for (auto& w : workers) w->set_stopping();
    fleet.stop();

    LatencyHistogram latency;
    for (const auto& w : workers) latency.merge(w->histogram());
    const double frames = static_cast<double>(end.frames - start.frames);

    report.fact("target", common.host + ":" + std::to_string(common.port));
    report.fact("load engine", load_engine + " x" + std::to_string(fleet.workers()));
    report.fact("shape", std::to_string(connected) + " connections x " +
                             std::to_string(options.depth) + " in flight x " +
                             std::to_string(options.frame_bytes) + " B frames");
    report.add("connections", static_cast<double>(connected), "", "connections");
    report.add("seconds", elapsed, "s", "measured");
    report.add("frames_per_s", frames / elapsed, "frames/s", "echoed frames");
    report.add("mib_per_s", (end.bytes - start.bytes) / elapsed / (1 << 20), "MiB/s",
               "echoed bytes (one direction)");
    add_latency(report, latency);
    report.add("errors", static_cast<double>(end.errors), "", "errors");
    check_stall(report, quiet, common.stall_limit_s, "echo", "no ECHO came back");
    server.report_to(report);

    if (frames == 0) report.problem("no frame came back in the measured window");
    if (end.lost > 0 || open_at_end < connected)
        report.problem(std::to_string(connected - open_at_end) +
                       " connections were closed "
                       "by the server during the run");
    for (const auto& w : workers)
        if (!w->first_error().empty()) {
            report.problem("first error: " + w->first_error());
            break;
        }
    return report;
}

}  // namespace chat_bench
