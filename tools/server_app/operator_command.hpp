// The operator's commands as values: parsed once from a line of text (chat_server's stdin, an
// admin channel later) or built directly by the server window, carried out by ServerApp, and
// answered with a CommandResult value. Text appears only at the edges (parse, to_text).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "chat/service.hpp"
#include "netcore/engine.hpp"

namespace ops {

struct SwitchEngine {
    std::string engine;  // empty: tell which engine runs
};
struct Kick {
    std::string nick;
    std::string reason;  // optional; follows the protocol's text rules
};
struct Notice {
    std::string text;  // follows the protocol's text rules (1..1024 bytes, no control chars)
};
struct Stats {};
struct Quit {};
struct Help {};
// Reads the settings again (config file, password file, environment), as SIGHUP does.
struct Rehash {};
using Command = std::variant<SwitchEngine, Kick, Notice, Stats, Quit, Help, Rehash>;

// Why a command cannot be carried out as it stands (a nick or text breaking the protocol's
// rules), or "" when it can. ServerApp checks it again whatever built the command.
std::string problem_with(const Command& command);

struct Parsed {
    std::optional<Command> command;  // set when the line is a valid command
    std::string error;               // otherwise why not (empty for a blank line)
    bool blank() const { return !command && error.empty(); }
};
// "/engine NAME", "/kick NICK [REASON]", "/notice TEXT", "/stats", "/rehash", "/quit", "/help".
Parsed parse(std::string_view line);
std::string help_text();

struct TlsTotals {
    std::size_t listeners = 0, sessions = 0;  // TLS listeners; connections over TLS now
    std::string library;                      // "OpenSSL 3.0.11", "Schannel"
};

struct StatsReport {
    chat::ServiceTotals service;
    netcore::EngineStats engine;
    chat::HistoryInfo history;
    TlsTotals tls;
};

struct CommandResult {
    bool ok = true;
    std::string message;               // what happened, or why not
    std::optional<StatsReport> stats;  // the answer to Stats

    static CommandResult success(std::string message) { return {true, std::move(message), {}}; }
    static CommandResult failure(std::string message) { return {false, std::move(message), {}}; }
};

// One line for a console: the message, after "error: " when the command failed.
std::string to_text(const CommandResult& result);
// "engine=epoll sessions=2 rooms=1 ..." (what /stats prints).
std::string format_stats(const StatsReport& report);

}  // namespace ops
