#include "server_command_line.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "listen_spec.hpp"
#include "netcore/engine_registry.hpp"
#include "option_checks.hpp"
#include "settings_checks.hpp"

namespace {

constexpr const char* kLayers =
    "Settings come from (strongest first) the command line, NETCHAT_* environment variables "
    "(NETCHAT_MAX_SESSIONS=50), the --config file (TOML: max-sessions = 50) and the defaults.";

std::chrono::milliseconds seconds_to_ms(double s) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0));
}

std::string env_name_of(std::string_view long_name) {
    std::string name = "NETCHAT_";
    for (char c : long_name) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return name;
}

using Check = std::function<std::string(std::string_view)>;
CLI::Validator validator(Check check, std::string description) {
    return CLI::Validator([check](std::string& input) { return check(input); },
                          std::move(description));
}

CLI::Validator whole(std::uint64_t lo, std::uint64_t hi) {
    return validator(
        [lo, hi](std::string_view in) { return option_checks::whole_number(in, lo, hi); },
        std::to_string(lo) + ".." + std::to_string(hi));
}

CLI::Validator finite(double lo, double hi, const std::string& unit) {
    return validator(
        [lo, hi, unit](std::string_view in) {
            return option_checks::finite_number(in, lo, hi, unit);
        },
        "");
}

// A size with CLI11's suffixes (64KiB, 8MiB, 1GB...) turned into bytes, then range-checked.
CLI::Validator byte_size(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [lo, hi](std::string& input) -> std::string {
            std::string bytes = input;
            try {
                if (!CLI::AsSizeValue(false)(bytes).empty())
                    return option_checks::byte_count(input, lo, hi);  // says "not a size"
            } catch (const CLI::Error&) {  // CLI11 throws for an unknown unit
                return option_checks::byte_count(input, lo, hi);
            }
            if (auto why = option_checks::byte_count(bytes, lo, hi); !why.empty()) return why;
            input = bytes;
            return {};
        },
        option_checks::format_bytes(lo) + ".." + option_checks::format_bytes(hi));
}

std::string help_footer() {
    return std::string(kLayers) +
           "\n\n"
           "Operator commands (on stdin, and on the --admin-socket through chat_server --cli),\n"
           "each answered with one line (\"error: ...\" when refused):\n"
           "  /engine NAME         switch engine live (nobody is disconnected)\n"
           "  /kick NICK [REASON]  BYE (with the reason), then close\n"
           "  /notice TEXT         NOTICE to every session\n"
           "  /stats               sessions, rooms, frames, bytes, version, engine counters\n"
           "  /rehash              read the settings again (also SIGHUP on Linux): password,\n"
           "                       name, limits, timeouts, log level and rotation live; logs\n"
           "                       what changed; reopens the log file; nobody is dropped\n"
           "  /help                the commands\n"
           "  /quit                graceful shutdown (also SIGINT/SIGTERM)\n"
           "\n"
           "chat_server --cli [--admin-socket PATH] COMMAND [ARGS...] sends one command to a\n"
           "running server and prints its answer (chat_server --cli stats; --cli --help).\n"
           "\n"
           "Exit status: 0 after a clean shutdown (and after --help, --version, --list-engines\n"
           "or a valid --check-config); 1 when the server cannot start (the port is taken...);\n"
           "2 for a bad option, setting or config file. With --cli: 0, 1 when the server\n"
           "answered \"error: ...\", 2 for a bad option, 3 when no server answers.";
}

// Every setting; `cl` receives the values. Options that may appear in the config file and the
// environment are configurable; the actions (--check-config, --list-engines) are not.
void define_options(CLI::App& app, ServerCommandLine& cl) {
    std::vector<std::string> names;
    for (const auto& e : netcore::engines()) names.emplace_back(e.name);
    cl.engine = std::string(netcore::default_engine_name());

    app.add_option("--engine", cl.engine, "I/O engine (see --list-engines)")
        ->check(CLI::IsMember(names))
        ->capture_default_str();
    app.add_option("--listen", cl.listen,
                   "address to listen on: ADDR, ADDR:PORT, [IPV6], [IPV6]:PORT; give it again "
                   "(or a comma-separated list) to listen on several, up to 8")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--port", cl.port, "TCP port for a --listen without one; 0 picks a free port")
        ->check(whole(0, 65535))
        ->capture_default_str();
    app.add_option("--tls-cert", cl.tls_cert,
                   "TLS certificate (PEM, then any intermediates); with --tls-key, the "
                   "listeners speak TLS (see --tls-port)")
        ->type_name("FILE");
    app.add_option("--tls-key", cl.tls_key, "the private key of --tls-cert (PEM)")
        ->type_name("FILE");
    app.add_option("--tls-port", cl.tls_port,
                   "keep the listeners plain and add a TLS one beside each, on this port (as "
                   "IRC serves 6667 and 6697; 0 picks a free one); needs --tls-cert/--tls-key")
        ->check(whole(0, 65535));
    app.add_flag("--tls-only", cl.tls_only,
                 "refuse plaintext: open no plain listener (needs --tls-cert/--tls-key)");
    app.add_option("--password", cl.password,
                   "server password (empty: none); visible in ps, prefer --password-file")
        ->check(validator(option_checks::password, ""));
    app.add_option("--password-file", cl.password_file,
                   "read the server password from FILE (its first line)")
        ->type_name("FILE");
    app.add_option("--max-sessions", cl.max_sessions, "most sessions at once")
        ->check(whole(1, 10'000'000))
        ->capture_default_str();
    app.add_option("--max-per-address", cl.max_per_address,
                   "connections from one IP address at once (0: no limit; loopback is not "
                   "counted unless --limit-loopback)")
        ->check(whole(0, 10'000'000))
        ->capture_default_str();
    app.add_flag("--limit-loopback", cl.limit_loopback,
                 "count loopback peers (127.0.0.0/8, ::1) against --max-per-address too");
    app.add_option("--max-handshakes", cl.max_handshakes,
                   "connections not yet past HELLO at once (0: no limit)")
        ->check(whole(0, 10'000'000))
        ->capture_default_str();
    app.add_option("--max-frame", cl.max_frame, "largest frame accepted, in bytes")
        ->check(whole(64, 65535))
        ->capture_default_str();
    app.add_option("--max-send-queue", cl.max_send_queue,
                   "unsent bytes a session may hold before it is cut off (e.g. 8MiB)")
        ->transform(byte_size(std::uint64_t{64} << 10, std::uint64_t{1} << 40))
        ->default_str("8MiB");
    app.add_option("--handshake-timeout", cl.handshake_timeout_s, "seconds to wait for HELLO")
        ->check(finite(1, 3600, "seconds"))
        ->capture_default_str();
    app.add_option("--idle-timeout", cl.idle_timeout_s,
                   "seconds of silence before a session is closed")
        ->check(finite(10, 86400, "seconds"))
        ->capture_default_str();
    app.add_option("--rate-limit", cl.rate_limit,
                   "SAY/WHISPER/MOVE per second per session (0: unlimited)")
        ->check(finite(0, 1e6, "per second"))
        ->capture_default_str();
    app.add_option("--history", cl.history,
                   "messages each room keeps for RESUME (0: none; RESUME then only tells what "
                   "was lost)")
        ->check(whole(0, 1'000'000))
        ->capture_default_str();
    app.add_option("--history-memory", cl.history_memory,
                   "bytes all rooms' histories may take together; the oldest messages of the "
                   "largest rooms go first (e.g. 64MiB)")
        ->transform(byte_size(0, std::uint64_t{1} << 40))
        ->default_str("64MiB");
    app.add_option("--name", cl.name, "server name sent in WELCOME")
        ->check(validator(option_checks::server_name, ""))
        ->capture_default_str();
    app.add_option("--cluster", cl.cluster,
                   "share the rooms with other servers through Redis at redis://HOST:PORT[/DB] "
                   "(see docs/cluster.md); without it the server runs alone")
        ->type_name("URL");
    app.add_option("--node", cl.node,
                   "this server's name in the cluster (default: its listening address)")
        ->type_name("NAME");
    app.add_option("--log-level", cl.log_level, "trace, debug, info, warn, error, critical, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    app.add_option("--log-file", cl.log_file,
                   "also log to FILE, rotated at --log-max-size (reopened on reload)")
        ->type_name("FILE");
    app.add_option("--log-max-size", cl.log_max_size, "size at which the log file rotates")
        ->transform(byte_size(std::uint64_t{64} << 10, std::uint64_t{1} << 40))
        ->default_str("10MiB");
    app.add_option("--log-max-files", cl.log_max_files, "rotated log files kept")
        ->check(whole(1, 1000))
        ->capture_default_str();
    app.add_option("--admin-socket", cl.admin_socket,
                   "take the operator commands on this Unix socket too (mode 0600; "
                   "chat_server --cli talks to it); default: none, under systemd "
                   "$RUNTIME_DIRECTORY/admin.sock")
        ->type_name("PATH");
    app.add_option("--metrics", cl.metrics,
                   "serve Prometheus metrics on http://ADDR:PORT/metrics and a health check on "
                   "/health (off by default; e.g. 127.0.0.1:9464, [::1]:9464; port 0 picks one)")
        ->type_name("ADDR:PORT");

    for (CLI::Option* opt : app.get_options())
        if (opt->get_configurable() && !opt->get_lnames().empty())
            opt->envname(env_name_of(opt->get_lnames().front()));

    app.add_flag("--list-engines", cl.list_engines, "list this platform's engines and exit")
        ->configurable(false);
    app.add_flag("--check-config", cl.check_config,
                 "check the settings (command line, environment, config file), print the "
                 "effective ones and exit: 0 if valid, 2 if not")
        ->configurable(false);
}

// For --list-engines: one line per engine with its model.
std::string engine_list() {
    std::string out;
    for (const auto& e : netcore::engines()) {
        char line[256];
        std::snprintf(line, sizeof line, "%-20s %s%s\n", std::string(e.name).c_str(),
                      std::string(e.model).c_str(),
                      e.name == netcore::default_engine_name() ? " (default)" : "");
        out += line;
    }
    return out;
}

struct Outcome {
    std::optional<int> exit_status;  // nullopt: serve
    std::string output;              // for stdout (help, version, --check-config)
    std::string error;               // for stderr, without the program's name
};

Outcome usage_error(std::string error) {
    return {2, {}, std::move(error)};
}

// Where a setting came from, for messages: " (from NETCHAT_PORT)", " (in the config file F)".
std::string origin_of(const std::string& option_name, const ServerCommandLine& cl) {
    auto it = cl.sources.find(option_name);
    if (it == cl.sources.end() || it->second == "command line" || it->second == "default")
        return {};
    return " (" + it->second + ")";
}

// CLI11's message for a bad value starts with the option ("--port: ..."): say where it came from.
std::string explain(const CLI::ParseError& e, const ServerCommandLine& cl) {
    std::string text = e.what();
    if (text.rfind("--", 0) == 0) {
        const auto colon = text.find(':');
        if (colon != std::string::npos) text += origin_of(text.substr(2, colon - 2), cl);
    }
    return text;
}

// The config file's layer as CLI11 reports its problems, in the operator's words.
std::string explain_config(const CLI::ParseError& e, const std::string& file) {
    const std::string text = e.what();
    static const std::string extras = "INI was not able to parse ";
    if (text.rfind(extras, 0) == 0)
        return "config file " + file + ": unknown setting '" + text.substr(extras.size()) +
               "' (the keys are the long option names, e.g. max-sessions = 50)";
    if (dynamic_cast<const CLI::FileError*>(&e))
        return "config file " + file + ": cannot read it (missing or not readable?)";
    return "config file " + file + ": " + text;
}

std::vector<std::string> reversed(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());
    return args;
}

Outcome parse_layers(const ProgramInfo& program, const std::vector<std::string>& args,
                     ServerCommandLine& cl) {
    // 1. The command line alone, to learn which settings it gives: they beat the environment.
    std::set<std::string> from_command_line;
    std::vector<std::string> configurable;
    {
        ServerCommandLine scratch;
        CLI::App probe;
        define_options(probe, scratch);
        probe.add_option("--config");
        probe.set_version_flag("--version", "");
        for (CLI::Option* opt : probe.get_options()) {
            if (opt->get_lnames().empty()) continue;
            const std::string& name = opt->get_lnames().front();
            if (opt->get_configurable() && name != "help" && name != "version")
                configurable.push_back(name);
            opt->envname("");
        }
        try {
            probe.parse(reversed(args));
        } catch (const CLI::Success&) {
            // --help or --version: the full parse below answers it.
        } catch (const CLI::ParseError& e) {
            return usage_error(explain(e, cl));
        }
        for (const std::string& name : configurable)
            if (probe.get_option("--" + name)->count() > 0) from_command_line.insert(name);
    }

    // 2. The environment, for what the command line left out, goes in as arguments: CLI11
    // would otherwise let the config file beat it.
    std::vector<std::string> layered = args;
    for (const std::string& name : configurable) {
        cl.sources[name] = "default";
        if (from_command_line.count(name)) {
            cl.sources[name] = "command line";
            continue;
        }
        const std::string env = env_name_of(name);
        const char* value = std::getenv(env.c_str());
        if (!value || !*value) continue;
        layered.push_back("--" + name + "=" + value);
        cl.sources[name] = "environment " + env;
    }

    // 3. Everything, the config file filling in what is still unset.
    CLI::App app{program.about};
    define_options(app, cl);
    app.set_config("--config", "", "read settings from a TOML file (keys: the long option names)")
        ->envname("NETCHAT_CONFIG")
        ->type_name("FILE");
    app.allow_config_extras(CLI::config_extras_mode::error);
    app.set_version_flag(
        "--version",
        program.name + " " + netchat_version() + " (TLS: " + netcore::tls_library() + ")",
        "print the version (and the TLS library) and exit");
    app.footer(help_footer());
    try {
        app.parse(reversed(layered));
    } catch (const CLI::CallForHelp&) {
        return {0, app.help(), {}};
    } catch (const CLI::CallForAllHelp&) {
        return {0, app.help("", CLI::AppFormatMode::All), {}};
    } catch (const CLI::CallForVersion& e) {
        return {0, std::string(e.what()) + "\n", {}};
    } catch (const CLI::ConfigError& e) {
        return usage_error(explain_config(e, app.get_config_ptr()->as<std::string>()));
    } catch (const CLI::FileError& e) {
        return usage_error(explain_config(e, app.get_config_ptr()->as<std::string>()));
    } catch (const CLI::ParseError& e) {
        const std::string file = app.get_config_ptr()->count() > 0
                                     ? app.get_config_ptr()->as<std::string>()
                                     : std::string();
        for (auto& [name, source] : cl.sources)
            if (source == "default" && !file.empty()) source = "config file " + file;
        return usage_error(explain(e, cl));
    }
    if (app.get_config_ptr()->count() > 0) cl.config_file = app.get_config_ptr()->as<std::string>();
    for (const std::string& name : configurable)
        if (cl.sources[name] == "default" && app.get_option("--" + name)->count() > 0)
            cl.sources[name] = "config file " + cl.config_file;
    cl.args = args;

    if (cl.list_engines) return {0, engine_list(), {}};
    // 4. What CLI11 cannot check alone: files, addresses, combinations.
    if (std::string why = settings_checks::complete(cl); !why.empty())
        return usage_error(std::move(why));
    if (cl.check_config) {
        std::string report = effective_settings_text(cl);
        for (const auto& w : cl.warnings) report += "# warning: " + w + "\n";
        report += "# " + program.name + ": the settings are valid\n";
        return {0, std::move(report), {}};
    }
    return {};
}

}  // namespace

std::optional<int> parse_server_command_line(int argc, char** argv, const ProgramInfo& program,
                                             ServerCommandLine& cl) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    Outcome outcome = parse_layers(program, args, cl);
    if (!outcome.output.empty()) {
        std::fputs(outcome.output.c_str(), stdout);
        std::fflush(stdout);
    }
    if (!outcome.error.empty()) {
        std::fprintf(stderr, "%s: %s\n%s\n", program.name.c_str(), outcome.error.c_str(),
                     outcome.exit_status == 2 ? "Run with --help for the options." : "");
        if (std::find(args.begin(), args.end(), "--check-config") != args.end())
            std::fprintf(stderr, "%s: the settings are NOT valid\n", program.name.c_str());
    }
    return outcome.exit_status;
}

bool reread_server_command_line(const ProgramInfo& program, const std::vector<std::string>& args,
                                ServerCommandLine& cl, std::string& error) {
    ServerCommandLine fresh;
    Outcome outcome = parse_layers(program, args, fresh);
    if (outcome.exit_status) {
        error = outcome.error.empty() ? "the arguments ask for no server" : outcome.error;
        return false;
    }
    cl = std::move(fresh);
    return true;
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
    c.history_per_room = history;
    c.history_memory = history_memory;
    c.cluster = cluster;
    c.node = node;
    return c;
}

std::vector<netcore::ListenAddress> ServerCommandLine::listeners() const {
    std::vector<netcore::ListenAddress> plain, secure;
    for (const std::string& text : listen) {
        std::string error;
        const auto spec = parse_listen_spec(text, error);
        // A bad spec (checked at parse time already) fails at listen(), explained.
        netcore::ListenAddress where;
        where.host = spec ? spec->host : text;
        where.port = spec && spec->port ? *spec->port : port;
        if (!tls_port) {
            where.tls = tls != nullptr;
            plain.push_back(where);
            continue;
        }
        if (!tls_only) plain.push_back(where);
        where.port = *tls_port;
        where.tls = true;
        secure.push_back(where);
    }
    plain.insert(plain.end(), secure.begin(), secure.end());
    return plain;
}

netcore::ServerOptions ServerCommandLine::server_options() const {
    netcore::ServerOptions o;
    const std::vector<netcore::ListenAddress> all = listeners();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (i == 0) {
            o.listen_address = all[i].host;
            o.port = all[i].port;
            o.listen_tls = all[i].tls;
        } else {
            o.more_listeners.push_back(all[i]);
        }
    }
    o.tls = tls;
    o.max_send_queue = max_send_queue;
    return o;
}
