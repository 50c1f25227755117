// The server's options, shared by chat_server and server_gui so both take the same flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "chat/service.hpp"
#include "netcore/server.hpp"

struct ServerCommandLine {
    std::string engine;
    std::string listen = "127.0.0.1";
    std::uint16_t port = 7777;
    std::string password;
    std::size_t max_sessions = 10000;
    std::size_t max_per_address = 64;
    bool limit_loopback = false;
    std::size_t max_handshakes = 1024;
    std::size_t max_frame = 65535;
    std::size_t max_send_queue = 8u << 20;
    double handshake_timeout_s = 10;
    double idle_timeout_s = 120;
    double rate_limit = 100;
    std::string name = "netchat";
    std::string log_level = "info";
    bool list_engines = false;

    chat::ServiceConfig service_config() const;
    netcore::ServerOptions server_options() const;
};

// Parses argv into `cl` (CLI11 stays inside the .cpp: it is slow to compile). Returns an exit
// status when the program should stop now: --help, --list-engines, or a bad option (already
// explained on stderr); std::nullopt to go on.
std::optional<int> parse_server_command_line(int argc, char** argv, const std::string& about,
                                             ServerCommandLine& cl);
