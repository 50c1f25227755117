// client_gui's command line: `--connect HOST:PORT --nick NAME [--password P] [--room R]`, so
// several clients start with one command each. Without --connect and --nick the window opens
// on its connect panel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gui_common/window_geometry.hpp"

namespace client_gui {

using Geometry = gui_common::WindowGeometry;
using gui_common::parse_geometry;

struct ClientCommandLine {
    std::string connect;  // HOST:PORT as given
    std::string host = "127.0.0.1";
    std::uint16_t port = 7777;
    std::string nick, password;
    std::vector<std::string> rooms;  // joined after WELCOME, lobby first
    std::string engine;              // netcore's client-side engine
    std::string geometry;            // WxH or WxH+X+Y
    Geometry window{1000, 720, {}, {}};
    std::string log_level = "info";
    // TLS: --tls connects over TLS (the connect panel's checkbox starts ticked); the server's
    // certificate and host name are checked against --ca (PEM) or the system's trust store,
    // or not at all with --insecure.
    bool tls = false;
    std::string ca_file;
    bool insecure = false;

    bool auto_connect() const { return !connect.empty() && !nick.empty(); }
};

// Parses argv into `cl`, splitting --connect and --geometry and checking the nick and rooms
// (CLI11 stays inside the .cpp: it is slow to compile). Returns an exit status when the program
// should stop now (--help, or a bad option already explained on stderr); std::nullopt to go on.
std::optional<int> parse_client_command_line(int argc, char** argv, ClientCommandLine& cl);
// The same for a list of arguments (without the program name): the message meant for the
// user when they are not valid, empty when they are.
std::string check_client_arguments(std::vector<std::string> args, ClientCommandLine& cl);

// "host:port", "[v6]:port"; false when it is not one.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace client_gui
