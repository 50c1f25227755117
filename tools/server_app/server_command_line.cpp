#include "server_command_line.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "netcore/engine_registry.hpp"

namespace {
std::chrono::milliseconds seconds_to_ms(double s) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0));
}

void add_server_options(CLI::App& app, ServerCommandLine& cl) {
    std::vector<std::string> names;
    for (const auto& e : netcore::engines()) names.emplace_back(e.name);
    cl.engine = std::string(netcore::default_engine_name());

    app.add_option("--engine", cl.engine, "I/O engine (see --list-engines)")
        ->check(CLI::IsMember(names))
        ->capture_default_str();
    app.add_option("--listen", cl.listen, "address to listen on")->capture_default_str();
    app.add_option("--port", cl.port, "TCP port, 0 picks a free one")->capture_default_str();
    app.add_option("--password", cl.password, "server password (empty: none)");
    app.add_option("--max-sessions", cl.max_sessions, "most sessions at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
        ->capture_default_str();
    app.add_option("--max-per-address", cl.max_per_address,
                   "connections from one IP address at once (0: no limit; loopback is not "
                   "counted unless --limit-loopback)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
        ->capture_default_str();
    app.add_flag("--limit-loopback", cl.limit_loopback,
                 "count loopback peers (127.0.0.0/8, ::1) against --max-per-address too");
    app.add_option("--max-handshakes", cl.max_handshakes,
                   "connections not yet past HELLO at once (0: no limit)")
        ->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
        ->capture_default_str();
    app.add_option("--max-frame", cl.max_frame, "largest frame accepted, in bytes")
        ->check(CLI::Range(std::size_t{64}, std::size_t{65535}))
        ->capture_default_str();
    app.add_option("--max-send-queue", cl.max_send_queue,
                   "unsent bytes a session may hold before it is cut off (e.g. 8MiB)")
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::Range(std::size_t{64} << 10, std::size_t{1} << 40))
        ->capture_default_str();
    app.add_option("--handshake-timeout", cl.handshake_timeout_s, "seconds to wait for HELLO")
        ->check(CLI::Range(0.01, 86400.0))
        ->capture_default_str();
    app.add_option("--idle-timeout", cl.idle_timeout_s,
                   "seconds of silence before a session is closed")
        ->check(CLI::Range(0.01, 864000.0))
        ->capture_default_str();
    app.add_option("--rate-limit", cl.rate_limit,
                   "SAY/WHISPER/MOVE per second per session (0: unlimited)")
        ->check(CLI::Range(0.0, 1e9))
        ->capture_default_str();
    app.add_option("--name", cl.name, "server name sent in WELCOME")->capture_default_str();
    app.add_option("--log-level", cl.log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    app.add_flag("--list-engines", cl.list_engines, "list this platform's engines and exit");
}

// For --list-engines: one line per engine with its model.
void print_engine_list() {
    for (const auto& e : netcore::engines())
        std::printf("%-20s %s%s\n", std::string(e.name).c_str(), std::string(e.model).c_str(),
                    e.name == netcore::default_engine_name() ? " (default)" : "");
}

}  // namespace

std::optional<int> parse_server_command_line(int argc, char** argv, const std::string& about,
                                             ServerCommandLine& cl) {
    CLI::App app{about};
    add_server_options(app, cl);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (cl.list_engines) {
        print_engine_list();
        return 0;
    }
    return std::nullopt;
}

chat::ServiceConfig ServerCommandLine::service_config() const {
    chat::ServiceConfig c;
    c.server_name = name;
    c.password = password;
    c.max_sessions = max_sessions;
    c.max_per_address = max_per_address;
    c.limit_loopback = limit_loopback;
    c.max_handshakes = max_handshakes;
    c.max_frame = max_frame;
    c.handshake_timeout = seconds_to_ms(handshake_timeout_s);
    c.idle_timeout = seconds_to_ms(idle_timeout_s);
    c.rate_limit = rate_limit;
    return c;
}

netcore::ServerOptions ServerCommandLine::server_options() const {
    netcore::ServerOptions o;
    o.listen_address = listen;
    o.port = port;
    o.max_send_queue = max_send_queue;
    return o;
}
