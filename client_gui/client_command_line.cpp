#include "client_command_line.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "chat/text_rules.hpp"
#include "netcore/engine_registry.hpp"

namespace client_gui {
namespace {

constexpr const char* kAbout =
    "client_gui: the netchat client window (wire protocol v1, docs/protocol.md)";

void add_client_options(CLI::App& app, ClientCommandLine& cl) {
    std::vector<std::string> names;
    for (const auto& e : netcore::engines()) names.emplace_back(e.name);
    cl.engine = std::string(netcore::default_engine_name());

    app.add_option("--connect", cl.connect,
                   "server to connect to at start, HOST:PORT (e.g. 127.0.0.1:7777)");
    app.add_option("--nick", cl.nick, "nick to log in with (1 to 24 bytes, no spaces)");
    app.add_option("--password", cl.password, "server password, if the server has one");
    app.add_option("--room", cl.rooms, "room to join after lobby (repeatable)");
    app.add_option("--engine", cl.engine, "netcore engine for the client's connection")
        ->check(CLI::IsMember(names))
        ->capture_default_str();
    app.add_flag("--tls", cl.tls,
                 "connect over TLS, checking the server's certificate and host name");
    app.add_option("--ca", cl.ca_file,
                   "trust the certificates in FILE (PEM) for TLS, instead of the system's "
                   "trust store (e.g. the one scripts/make-tls-cert.sh wrote)")
        ->type_name("FILE");
    app.add_flag("--insecure", cl.insecure,
                 "TLS without checking the certificate or the host name (anyone in between "
                 "can read and change the chat; for tests only)");
    app.add_option("--geometry", cl.geometry, "window size and place: WxH or WxH+X+Y");
    app.add_option("--log-level", cl.log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();
    app.footer(
        "With --connect and --nick the client logs in at once, joins lobby (and --room), and "
        "reconnects by itself when the server goes away. Without them it opens on its connect "
        "panel.\nExample: client_gui --connect 127.0.0.1:7777 --nick 민수 --room 보드게임\n"
        "Over TLS: client_gui --connect 127.0.0.1:7777 --nick 민수 --tls --ca cert.pem (a pair "
        "for local tries: scripts/make-tls-cert.sh DIR).");
}

void finish_client_options(ClientCommandLine& cl) {
    if (!cl.connect.empty() && !split_host_port(cl.connect, cl.host, cl.port))
        throw CLI::ValidationError(
            "--connect", "expected HOST:PORT (e.g. 127.0.0.1:7777), got '" + cl.connect + "'");
    if (!cl.connect.empty() && cl.nick.empty())
        throw CLI::ValidationError("--nick", "--connect needs --nick too");
    if (!cl.nick.empty() && !chat::is_valid_nick(cl.nick))
        throw CLI::ValidationError("--nick", "'" + cl.nick +
                                                 "' is not a valid nick: 1 to 24 bytes, no "
                                                 "spaces or control characters");
    for (const auto& room : cl.rooms)
        if (!chat::is_valid_room(room))
            throw CLI::ValidationError("--room", "'" + room +
                                                     "' is not a valid room name: 1 to 32 bytes, "
                                                     "no spaces or control characters");
    if (std::find(cl.rooms.begin(), cl.rooms.end(), "lobby") == cl.rooms.end())
        cl.rooms.insert(cl.rooms.begin(), "lobby");
    if (!cl.ca_file.empty() && cl.insecure)
        throw CLI::ValidationError("--insecure",
                                   "give --ca FILE (check the certificate against it) or "
                                   "--insecure (check nothing), not both");
    if (!cl.ca_file.empty() && !std::ifstream(cl.ca_file))
        throw CLI::ValidationError("--ca",
                                   "cannot read " + cl.ca_file + " (" + std::strerror(errno) + ")");
    if (!cl.geometry.empty() && !parse_geometry(cl.geometry, cl.window))
        throw CLI::ValidationError(
            "--geometry", "expected WxH or WxH+X+Y (e.g. 640x800+0+0), got '" + cl.geometry + "'");
}

}  // namespace

std::optional<int> parse_client_command_line(int argc, char** argv, ClientCommandLine& cl) {
    CLI::App app{kAbout};
    add_client_options(app, cl);
    try {
        app.parse(argc, argv);
        finish_client_options(cl);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return std::nullopt;
}

std::string check_client_arguments(std::vector<std::string> args, ClientCommandLine& cl) {
    CLI::App app{kAbout};
    add_client_options(app, cl);
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order
    try {
        app.parse(args);
        finish_client_options(cl);
    } catch (const CLI::ParseError& e) {
        return e.what();
    }
    return {};
}

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
    std::string h, p;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find("]:");
        if (close == std::string::npos) return false;
        h = text.substr(1, close - 1);
        p = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) return false;
        h = text.substr(0, colon);
        p = text.substr(colon + 1);
    }
    if (h.empty() || p.empty() || p.size() > 5 ||
        !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    const long value = std::stol(p);
    if (value < 1 || value > 65535) return false;
    host = h;
    port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace client_gui
