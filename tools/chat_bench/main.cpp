// chat_bench: the load generator. Every scenario (pingpong, fanout, connect, churn) lives in
// chat_bench_lib; this file is the command line: options, --help, exit status.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "chat_bench/churn.hpp"
#include "chat_bench/connect.hpp"
#include "chat_bench/fanout.hpp"
#include "chat_bench/pingpong.hpp"
#include "chat_bench/resume_storm.hpp"
#include "chat_bench/setup.hpp"
#include "chat_bench/soak.hpp"
#include "netcore/engine_registry.hpp"
#include "netcore/tls.hpp"

using namespace chat_bench;

namespace {

constexpr int kChecksFailed = 1;
constexpr int kCannotRun = 2;

void add_common(CLI::App& cmd, CommonOptions& c, bool& json) {
    std::vector<std::string> engines;
    for (const auto& e : netcore::engines()) engines.emplace_back(e.name);
    cmd.add_option("--host", c.host, "server address")->capture_default_str();
    cmd.add_option("-p,--port", c.port, "server port")->capture_default_str();
    cmd.add_option("-d,--duration", c.duration_s, "seconds measured")
        ->check(CLI::Range(0.1, 86400.0))
        ->capture_default_str();
    cmd.add_option("--warmup", c.warmup_s, "seconds of load before measuring")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    cmd.add_option("--server-pid", c.server_pid,
                   "the server's pid (same machine): report its CPU and memory from /proc");
    cmd.add_option("--engine", c.engine, "the load generator's own netcore engine")
        ->check(CLI::IsMember(engines))
        ->default_str(std::string(netcore::default_engine_name()));
    cmd.add_option("--threads", c.threads, "engine loops the connections are spread over")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    cmd.add_option("--sources", c.sources,
                   "loopback source addresses 127.0.0.1..N (0: one per 5,000 connections)")
        ->check(CLI::Range(0u, 254u))
        ->capture_default_str();
    cmd.add_flag("--fit", c.fit, "lower the connection count to what the fd limit allows");
    cmd.add_flag("--tls", c.tls,
                 "every connection over TLS (the server's --tls-cert listener), checking its "
                 "certificate and host name");
    cmd.add_option("--ca", c.tls_ca,
                   "with --tls: trust the certificates in FILE (PEM) instead of the system's "
                   "store")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd.add_flag("--insecure", c.tls_insecure,
                 "with --tls: check neither the certificate nor the host name");
    cmd.add_flag("--json", json, "print the summary as one JSON object");
    cmd.add_flag("-q,--quiet{false}", c.progress, "no progress line on stderr");
}

// The scenarios that keep the server busy all the time (not connect, which idles).
void add_stall_limit(CLI::App& cmd, CommonOptions& c) {
    cmd.add_option("--stall-limit", c.stall_limit_s,
                   "fail when nothing is served (delivered, echoed) for this many seconds of "
                   "the measured window")
        ->check(CLI::Range(0.05, 3600.0))
        ->capture_default_str();
}

// "HOST:PORT,HOST:PORT,...".
bool parse_servers(const std::string& list, std::vector<Endpoint>& out, std::string& error) {
    out.clear();
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string item = list.substr(start, comma - start);
        const std::size_t colon = item.rfind(':');
        unsigned long port = 0;
        char* end = nullptr;
        if (colon != std::string::npos && colon > 0)
            port = std::strtoul(item.c_str() + colon + 1, &end, 10);
        if (colon == std::string::npos || colon == 0 || !end || *end != '\0' || port == 0 ||
            port > 65535) {
            error = "expected HOST:PORT,HOST:PORT,... (e.g. 127.0.0.1:7001,127.0.0.1:7002), got '" +
                    item + "'";
            return false;
        }
        out.push_back({item.substr(0, colon), static_cast<std::uint16_t>(port)});
        start = comma + 1;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "chat_bench: load generator for the chat server (wire protocol v1, docs/protocol.md).\n"
        "Start a server first, e.g. `chat_server --port 7777 --rate-limit 0`, then run a\n"
        "scenario against it. A progress line goes to stderr once per second, the summary to\n"
        "stdout. Exit status: 0 all checks passed, 1 a check failed (gaps, errors, refusals,\n"
        "a stall: a second of the measured window with nothing served, or an open-loop run\n"
        "that delivered under half of what it offered), 2 the scenario could not run (no\n"
        "server, descriptor limits, bad options)."};
    app.require_subcommand(1);
    app.fallthrough(false);

    CommonOptions common;
    bool json = false;
    std::function<Report()> run;

    PingpongOptions pp;
    auto* pingpong =
        app.add_subcommand("pingpong",
                           "C connections each keep D ECHO frames of S bytes in flight: frames/s, "
                           "MiB/s, round-trip latency");
    add_common(*pingpong, common, json);
    add_stall_limit(*pingpong, common);
    pingpong->add_option("-c,--connections", pp.connections, "connections")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
        ->capture_default_str();
    pingpong->add_option("-D,--depth", pp.depth, "frames in flight per connection")
        ->check(CLI::Range(std::size_t{1}, std::size_t{4096}))
        ->capture_default_str();
    pingpong
        ->add_option("-s,--size", pp.frame_bytes,
                     "frame size, 4-byte header included (12..65535; 16KiB works)")
        ->transform(CLI::AsSizeValue(false))
        ->capture_default_str();
    pingpong->add_flag("--no-hello{false}", pp.hello,
                       "do not log in first (servers that only echo; the handshake timeout "
                       "then ends long runs)");
    pingpong->callback([&] { run = [&] { return run_pingpong(common, pp); }; });

    RoomOptions fo;
    fo.members = 100;
    auto* fanout = app.add_subcommand(
        "fanout",
        "members in one room, K of them saying: deliveries/s, delivery latency, and "
        "a check that every member saw every seq once, in order");
    add_common(*fanout, common, json);
    add_stall_limit(*fanout, common);
    fanout->add_option("-c,--members", fo.members, "members in the room")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    fanout->add_option("-k,--senders", fo.senders, "members that say")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    fanout
        ->add_option("-r,--rate", fo.rate,
                     "messages/s over all senders, open loop (0: closed loop, as fast as "
                     "the server delivers)")
        ->check(CLI::Range(0.0, 1e8))
        ->capture_default_str();
    fanout->add_option("-w,--window", fo.window, "closed loop: messages in flight per sender")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
        ->capture_default_str();
    fanout->add_option("--text", fo.text_bytes, "bytes of text per message (24..1024)")
        ->capture_default_str();
    fanout->add_option("--room", fo.room, "room name (default: bench<pid>)");
    fanout
        ->add_option_function<std::string>(
            "--servers",
            [&](const std::string& list) {
                std::string error;
                if (!parse_servers(list, common.servers, error))
                    throw CLI::ValidationError("--servers", error);
            },
            "a cluster's nodes, HOST:PORT,HOST:PORT,...: the members are spread over them "
            "(member i on node i mod N), instead of --host/--port")
        ->type_name("LIST");
    fanout->callback([&] { run = [&] { return run_fanout(common, fo); }; });

    ConnectOptions co;
    auto* connect =
        app.add_subcommand("connect",
                           "N sessions opened and held (HELLO on each): connect rate; with "
                           "--server-pid, server memory per session and idle CPU");
    add_common(*connect, common, json);
    connect->add_option("-n,--connections", co.connections, "sessions to open")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
        ->capture_default_str();
    connect->add_option("--hold", co.hold_s, "seconds to hold them open, idle")
        ->check(CLI::Range(0.0, 86400.0))
        ->capture_default_str();
    connect
        ->add_option("--max-pending", co.max_pending,
                     "connections awaiting WELCOME at most (keeps the accept queue short)")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    connect->callback([&] { run = [&] { return run_connect(common, co); }; });

    ChurnOptions ch;
    ch.room.members = 50;
    ch.room.senders = 5;
    ch.room.rate = 500;
    auto* churn = app.add_subcommand(
        "churn",
        "connections open, log in, join and close continuously while members of the "
        "same room chat: churn rate, and no gaps for the members");
    add_common(*churn, common, json);
    add_stall_limit(*churn, common);
    churn->add_option("-c,--members", ch.room.members, "chatting members")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    churn->add_option("-k,--senders", ch.room.senders, "members that say")->capture_default_str();
    churn->add_option("-r,--rate", ch.room.rate, "messages/s over all senders (0: closed loop)")
        ->check(CLI::Range(0.0, 1e8))
        ->capture_default_str();
    churn->add_option("--churners", ch.churners, "connections cycling at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
        ->capture_default_str();
    churn->add_option("--text", ch.room.text_bytes, "bytes of text per message (24..1024)")
        ->capture_default_str();
    churn->add_option("--room", ch.room.room, "room name (default: bench<pid>)");
    churn->callback([&] { run = [&] { return run_churn(common, ch); }; });

    ResumeOptions rs;
    auto* resume = app.add_subcommand(
        "resume",
        "a reconnect storm (protocol revision 2): M members follow a room while K talkers say "
        "at a fixed rate; every member drops at once, stays away, then all reconnect and "
        "RESUME. Reports the time until every member caught up and the server's CPU (with "
        "--server-pid), and fails if any member missed or repeated a message");
    add_common(*resume, common, json);
    resume->add_option("-c,--members", rs.members, "members that drop and resume at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    resume->add_option("-k,--talkers", rs.talkers, "members that keep saying throughout")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
        ->capture_default_str();
    resume->add_option("-r,--rate", rs.rate, "messages/s over all talkers")
        ->check(CLI::Range(1.0, 1e7))
        ->capture_default_str();
    resume->add_option("--away", rs.away_s, "seconds the members stay away")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
    resume
        ->add_option("--catch-up-limit", rs.catch_up_limit_s,
                     "fail when not every member caught up within this many seconds")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    resume->add_option("--room", rs.room, "room name (default: resume<pid>)");
    resume->callback([&] {
        // Its members are raw sockets of its own (a storm of them), not netcore's clients.
        if (common.tls)
            throw CLI::ValidationError("--tls",
                                       "resume speaks plaintext only (its members are raw "
                                       "sockets); pingpong, fanout, connect and churn "
                                       "run over TLS");
        run = [&] { return run_resume(common, rs); };
    });

    SoakOptions so;
    auto* soak = app.add_subcommand(
        "soak",
        "a long mixed run against a chat_server chat_bench starts itself: in cycles, a room "
        "chatting at a fixed rate, connections churning, a member that never reads (it must be "
        "cut off), connections reset mid-frame, and live engine switches (home -> another -> "
        "home). After each cycle: every member saw every seq once, and the server's "
        "descriptors, threads and RSS are within the tolerance of the baseline taken after the "
        "warm-up. Server arguments go after `--` (e.g. `-- --engine poll`); chat_bench adds "
        "--port 0, --rate-limit 0, --max-send-queue 256KiB and --log-level warn unless given");
    std::vector<std::string> soak_engines;
    for (const auto& e : netcore::engines()) soak_engines.emplace_back(e.name);
    soak->add_option("--minutes", so.minutes, "length of the run, warm-up included")
        ->check(CLI::Range(0.05, 10080.0))
        ->capture_default_str();
    soak->add_option("--spawn-server", so.server_binary,
                     "the chat_server to start (default: the one beside chat_bench); the "
                     "server itself, not a wrapper: its pid is the one read in /proc");
    soak->add_option("--server-log", so.server_log,
                     "write the server's stderr (its log) to this file, not to chat_bench's");
    std::string soak_engine_list;  // one word: a list option would swallow what follows `--`
    soak->add_option("--engines", soak_engine_list,
                     "engines to switch to, comma-separated (default: every engine the server "
                     "lists); the server's own --engine is home");
    soak->add_option("--cycle", so.cycle_s, "seconds of load per cycle (switches at 1/3, 2/3)")
        ->check(CLI::Range(1.0, 3600.0))
        ->capture_default_str();
    soak->add_option("--warmup-cycles", so.warmup_cycles,
                     "cycles before the baseline is taken (the first visits every engine); 0: "
                     "those of the first fifth of the run, at least 2")
        ->check(CLI::Range(std::size_t{0}, std::size_t{100'000}))
        ->capture_default_str();
    soak->add_option("-c,--members", so.members, "members of the chatting room")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}))
        ->capture_default_str();
    soak->add_option("-k,--senders", so.senders, "members that say")->capture_default_str();
    soak->add_option("-r,--rate", so.rate, "messages/s over all senders, open loop")
        ->check(CLI::Range(1.0, 1e7))
        ->capture_default_str();
    soak->add_option("--churners", so.churners, "connections cycling at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
        ->capture_default_str();
    soak->add_option("--resets", so.resets, "connections reset mid-frame per cycle")
        ->check(CLI::Range(std::size_t{0}, std::size_t{100'000}))
        ->capture_default_str();
    soak->add_option("--tolerance", so.tolerance_pct,
                     "percent the server's descriptors, threads and RSS may differ from the "
                     "baseline")
        ->check(CLI::Range(0.0, 1000.0))
        ->capture_default_str();
    soak->add_option("--switch-limit", so.switch_limit_s, "seconds an engine switch may take")
        ->check(CLI::Range(0.01, 3600.0))
        ->capture_default_str();
    soak->add_option("--engine", common.engine, "the load generator's own netcore engine")
        ->check(CLI::IsMember(soak_engines))
        ->default_str(std::string(netcore::default_engine_name()));
    soak->add_option("--threads", common.threads, "engine loops the connections are spread over")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    add_stall_limit(*soak, common);
    soak->add_flag("--json", json, "print the summary as one JSON object");
    soak->add_flag("-q,--quiet{false}", common.progress, "no line per cycle on stderr");
    soak->add_option("server-args", so.server_args, "the server's own arguments, after --");
    soak->callback([&] {
        std::stringstream names(soak_engine_list);
        for (std::string name; std::getline(names, name, ',');)
            if (!name.empty()) so.engines.push_back(name);
        run = [&] { return run_soak(common, so); };
    });

    CLI11_PARSE(app, argc, argv);
    if (!common.tls && (common.tls_insecure || !common.tls_ca.empty())) {
        std::fprintf(stderr, "chat_bench: --ca and --insecure go with --tls\n");
        return kCannotRun;
    }
    if (common.tls && common.tls_insecure && !common.tls_ca.empty()) {
        std::fprintf(stderr, "chat_bench: give --ca FILE or --insecure, not both\n");
        return kCannotRun;
    }

    try {
        Report report = run();
        if (common.tls)
            report.fact("transport", "TLS (" + netcore::tls_library() +
                                         (common.tls_insecure ? ", certificate not checked)"
                                                              : ", certificate checked)"));
        const std::string out = json ? report.json() + "\n" : report.text();
        std::fputs(out.c_str(), stdout);
        return report.ok() ? 0 : kChecksFailed;
    } catch (const SetupError& e) {
        std::fprintf(stderr, "chat_bench: %s\n", e.what());
        return kCannotRun;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chat_bench: %s\n", e.what());
        return kCannotRun;
    }
}
