#include "chat_bench/connect.hpp"

#include <memory>
#include <thread>

#include "chat_bench/fleet.hpp"
#include "chat_bench/login_worker.hpp"
#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"

namespace chat_bench {
namespace {

struct Counts {
    std::uint64_t welcomed = 0, refused = 0, shed = 0, lost = 0;
    std::uint64_t resolved() const { return welcomed + refused + shed; }
};

Counts count(const std::vector<std::unique_ptr<LoginWorker>>& workers) {
    Counts c;
    for (const auto& w : workers) {
        c.welcomed += w->welcomed();
        c.refused += w->refused();
        c.shed += w->shed();
        c.lost += w->lost();
    }
    return c;
}

std::optional<ProcMemory> server_memory(int pid) {
    return pid > 0 ? read_memory(pid) : std::nullopt;
}

}  // namespace

Report run_connect(const CommonOptions& common, const ConnectOptions& options) {
    Report report("connect");
    const std::size_t n = preflight(common, options.connections, report);
    std::atomic<std::size_t> next_index{0};
    std::vector<std::unique_ptr<LoginWorker>> workers;
    std::vector<netcore::ConnectionHandler*> handlers;
    for (unsigned i = 0; i < std::max(1u, common.threads); ++i) {
        workers.push_back(std::make_unique<LoginWorker>(common, next_index));
        handlers.push_back(workers.back().get());
    }
    Fleet fleet(common, handlers, n);
    fleet.start();
    const auto before = server_memory(common.server_pid);

    std::size_t attempted = 0, connected = 0, failed = 0, failed_in_a_row = 0;
    std::string first_failure;
    Progress progress(common.progress, "connect", [&, last = std::uint64_t{0}]() mutable {
        const Counts c = count(workers);
        const auto rate = c.welcomed - last;
        last = c.welcomed;
        std::string line = std::to_string(c.welcomed) + "/" + std::to_string(n) + " welcomed, " +
                           si(static_cast<double>(rate)) + "/s, " + std::to_string(c.refused) +
                           " refused, " + std::to_string(failed) + " failed";
        if (const auto mem = server_memory(common.server_pid))
            line += ", server RSS " + std::to_string(mem->rss_kib / 1024) + " MiB";
        return line;
    });

    const auto t0 = std::chrono::steady_clock::now();
    bool stalled = false;
    for (std::size_t i = 0; i < n && failed_in_a_row < 100 && !stalled; ++i) {
        // Wait for WELCOMEs to catch up; a server that stops answering ends the ramp.
        const auto wait_start = std::chrono::steady_clock::now();
        while (connected - count(workers).resolved() >= options.max_pending && !stalled) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            stalled = seconds_since(wait_start) > 10;
        }
        if (stalled) break;
        ++attempted;
        std::string error;
        if (fleet.connect(i, error)) {
            ++connected;
            failed_in_a_row = 0;
        } else {
            ++failed;
            ++failed_in_a_row;
            if (first_failure.empty()) first_failure = error;
        }
    }
    const auto settle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!stalled && count(workers).resolved() < connected &&
           std::chrono::steady_clock::now() < settle_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double connect_s = seconds_since(t0);
    const Counts settled = count(workers);

    // Idle: every session open and silent; what does holding them cost the server?
    ServerSampler server(common.server_pid);
    progress.say("holding " + std::to_string(settled.welcomed) + " sessions idle");
    server.begin();
    sleep_seconds(options.hold_s);
    server.end();
    const auto after = server_memory(common.server_pid);
    progress.stop();
    const Counts held = count(workers);
    const std::size_t open_at_end = fleet.open_connections();
    for (auto& w : workers) w->set_stopping();
    fleet.stop();

    report.fact("target", common.host + ":" + std::to_string(common.port));
    report.fact("sources", std::to_string(fleet.sources()) + " loopback address(es)");
    report.add("requested", static_cast<double>(options.connections), "", "sessions requested");
    report.add("connected", static_cast<double>(connected), "", "TCP connections opened");
    report.add("welcomed", static_cast<double>(settled.welcomed), "", "sessions welcomed");
    report.add("refused", static_cast<double>(settled.refused), "", "refused (server_full)");
    report.add("shed", static_cast<double>(settled.shed), "", "closed before WELCOME");
    report.add("failed", static_cast<double>(failed), "", "connect() failures");
    report.add("held", static_cast<double>(open_at_end), "", "still open after the hold");
    report.add("connect_seconds", connect_s, "s", "time to open all");
    report.add("connects_per_s", settled.welcomed / connect_s, "sessions/s", "connect rate");
    server.report_to(report);
    if (before && after && settled.welcomed > 0) {
        const auto per = [&](std::uint64_t b, std::uint64_t a) {
            return (static_cast<double>(a) - static_cast<double>(b)) * 1024.0 / settled.welcomed;
        };
        report.add("server_rss_per_session_b", per(before->rss_kib, after->rss_kib), "B",
                   "server RSS per session");
        report.add("server_anon_per_session_b", per(before->rss_anon_kib, after->rss_anon_kib), "B",
                   "server heap (RssAnon) per session");
        report.note(
            "RSS counts the server's user-space memory; the kernel's socket buffers "
            "are not in it");
    }
    if (stalled)
        report.problem("the server stopped answering: " + std::to_string(options.max_pending) +
                       " connections waited 10 s for WELCOME; stopped at " +
                       std::to_string(connected) + " connections");
    if (failed > 0) report.problem(std::to_string(failed) + " connects failed: " + first_failure);
    if (settled.refused > 0)
        report.problem(std::to_string(settled.refused) +
                       " sessions refused by the server (its session or descriptor limit)");
    if (settled.shed > 0 || held.lost > 0) {
        std::string first;
        for (const auto& w : workers)
            if (first.empty()) first = w->first_error();
        report.problem(std::to_string(settled.shed + held.lost) +
                       " connections closed by the server: " + first);
    }
    if (common.server_pid > 0 && !process_alive(common.server_pid))
        report.problem("the server died");
    return report;
}

}  // namespace chat_bench
