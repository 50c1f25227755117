// The server's settings, shared by chat_server and server_gui so both take the same options,
// from (strongest first) the command line, NETCHAT_* environment variables, the --config file
// (TOML, keyed by the long option names) and the defaults.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/service.hpp"
#include "netcore/server.hpp"
#include "netcore/tls.hpp"

struct ServerCommandLine {
    std::string engine;
    // Each ADDR, ADDR:PORT, [IPV6] or [IPV6]:PORT; several listen on each (the first is the
    // one "listening on" names first, and the cluster's node name by default).
    std::vector<std::string> listen = {"127.0.0.1"};
    std::uint16_t port = 7777;  // for a --listen without a port
    // TLS (PEM files): with both, every listener is TLS, unless --tls-port adds a TLS listener
    // beside each plain one (same host, that port; 0 picks a free one); --tls-only opens no
    // plain listener at all.
    std::string tls_cert, tls_key;
    std::optional<std::uint16_t> tls_port;
    bool tls_only = false;
    // Loaded from tls_cert and tls_key by the settings checks (a bad file is refused there).
    std::shared_ptr<netcore::TlsContext> tls;
    std::string password;  // from --password or read from --password-file
    std::string password_file;
    std::size_t max_sessions = 10000;
    std::size_t max_per_address = 64;
    bool limit_loopback = false;
    std::size_t max_handshakes = 1024;
    std::size_t max_frame = 65535;
    std::size_t max_send_queue = 8u << 20;
    double handshake_timeout_s = 10;
    double idle_timeout_s = 120;
    double rate_limit = 100;
    std::size_t history = 1000;              // messages kept per room for RESUME
    std::size_t history_memory = 64u << 20;  // bytes, all rooms' histories together
    std::string name = "netchat";
    std::string cluster;  // redis://HOST:PORT[/DB], or "" to run alone (docs/cluster.md)
    std::string node;     // this server's name in the cluster ("": its listening address)
    std::string log_level = "info";
    std::string log_file;                  // "": stderr only
    std::size_t log_max_size = 10u << 20;  // bytes per log file before it rotates
    std::size_t log_max_files = 5;         // rotated files kept besides the current one
    std::string config_file;
    // The admin channel (admin_socket.hpp): "" none; under systemd (RUNTIME_DIRECTORY set) the
    // default is $RUNTIME_DIRECTORY/admin.sock.
    std::string admin_socket;
    // --metrics ADDR:PORT: Prometheus text on /metrics and /health there ("": off).
    std::string metrics;

    // What the program was asked to do besides serving.
    bool list_engines = false;
    bool check_config = false;

    // Where each setting came from, by long name: "command line", "environment (NETCHAT_X)",
    // "config FILE" or "default"; and what the operator should know (printed at start).
    std::map<std::string, std::string> sources;
    std::vector<std::string> warnings;
    // The arguments as given (argv without the program), to read the settings again on reload.
    std::vector<std::string> args;

    chat::ServiceConfig service_config() const;
    netcore::ServerOptions server_options() const;
    // Every listener to open, the first first: each --listen (plain, or TLS when the
    // certificate is given without --tls-port), then with --tls-port a TLS one beside each.
    std::vector<netcore::ListenAddress> listeners() const;
};

struct ProgramInfo {
    std::string name;   // "chat_server": --version prints "chat_server 0.1.0"
    std::string about;  // the first line of --help
};

// Parses argv (then the environment and the config file) into `cl`. Returns an exit status when
// the program should stop now: 0 after --help, --version, --list-engines or a successful
// --check-config (which prints the effective settings), 2 after a usage or configuration error
// (explained on stderr); std::nullopt to go on and serve.
std::optional<int> parse_server_command_line(int argc, char** argv, const ProgramInfo& program,
                                             ServerCommandLine& cl);

// Reads the settings again from the same arguments, the environment and the config file as they
// are now (SIGHUP, /rehash). False, with the reason in `error`, if they are not valid.
bool reread_server_command_line(const ProgramInfo& program, const std::vector<std::string>& args,
                                ServerCommandLine& cl, std::string& error);

// The effective settings as TOML that --config reads, each with where it came from; the password
// is never printed.
std::string effective_settings_text(const ServerCommandLine& cl);

// The project's version (CMake's PROJECT_VERSION).
const char* netchat_version();
