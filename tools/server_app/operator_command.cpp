#include "operator_command.hpp"

#include <sstream>
#include <type_traits>

#include "chat/text_rules.hpp"
#include "server_command_line.hpp"  // netchat_version()

namespace ops {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// Splits "WORD REST" at the first space.
std::pair<std::string_view, std::string_view> first_word(std::string_view s) {
    const auto space = s.find(' ');
    if (space == std::string_view::npos) return {s, {}};
    return {s.substr(0, space), trim(s.substr(space + 1))};
}

Parsed failed(std::string why) {
    return {std::nullopt, std::move(why)};
}

Parsed checked(Command command) {
    if (std::string why = problem_with(command); !why.empty()) return failed(std::move(why));
    return {std::move(command), {}};
}

}  // namespace

std::string problem_with(const Command& command) {
    return std::visit(
        [](const auto& c) -> std::string {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, Kick>) {
                if (!chat::is_valid_nick(c.nick))
                    return "'" + c.nick +
                           "' is not a nick (1..24 bytes, no spaces or control characters)";
                if (!c.reason.empty())
                    if (auto why = chat::chat_text_problem(c.reason); !why.empty())
                        return "kick reason not usable: " + why;
            } else if constexpr (std::is_same_v<T, Notice>) {
                if (auto why = chat::chat_text_problem(c.text); !why.empty())
                    return "notice not sent: " + why;
            } else if constexpr (std::is_same_v<T, SwitchEngine>) {
                if (c.engine.find_first_of(" \t") != std::string::npos)
                    return "an engine name is one word (see /help)";
            }
            return {};
        },
        command);
}

Parsed parse(std::string_view line) {
    line = trim(line);
    if (line.empty()) return {};
    const auto [verb, arg] = first_word(line);
    if (verb.front() != '/')
        return failed("commands start with '/': " + std::string(verb) + " (try /help)");
    const auto no_argument = [&, verb = verb, arg = arg](Command c) {
        if (!arg.empty()) return failed(std::string(verb) + " takes no argument");
        return checked(std::move(c));
    };
    if (verb == "/engine") {
        if (first_word(arg).second.size()) return failed("usage: /engine NAME");
        return checked(SwitchEngine{std::string(arg)});
    }
    if (verb == "/kick") {
        const auto [nick, reason] = first_word(arg);
        if (nick.empty()) return failed("usage: /kick NICK [REASON]");
        return checked(Kick{std::string(nick), std::string(reason)});
    }
    if (verb == "/notice") {
        if (arg.empty()) return failed("usage: /notice TEXT");
        return checked(Notice{std::string(arg)});
    }
    if (verb == "/stats") return no_argument(Stats{});
    if (verb == "/quit") return no_argument(Quit{});
    if (verb == "/rehash") return no_argument(Rehash{});
    if (verb == "/help") return no_argument(Help{});
    return failed("unknown command '" + std::string(verb) + "' (try /help)");
}

std::string help_text() {
    return "commands: /engine NAME, /kick NICK [REASON], /notice TEXT, /stats, /rehash, /quit";
}

std::string to_text(const CommandResult& result) {
    return result.ok ? result.message : "error: " + result.message;
}

std::string format_stats(const StatsReport& report) {
    const auto& t = report.service;
    const auto& e = report.engine;
    std::ostringstream out;
    out << "version=" << netchat_version() << " engine=" << e.engine << " sessions=" << t.sessions
        << " rooms=" << t.rooms << " frames_in=" << t.frames_in << " frames_out=" << t.frames_out
        << " bytes_in=" << t.bytes_in << " bytes_out=" << t.bytes_out
        << " uptime_ms=" << t.uptime_ms << " refused_server_full=" << t.refused.server_full
        << " refused_per_address=" << t.refused.per_address
        << " refused_handshakes=" << t.refused.handshakes
        << " refused_by_engine=" << t.refused.by_engine
        << " bad_passwords=" << t.refused.bad_password
        << " history_store=" << (report.history.shared ? "redis" : "memory")
        << " history_messages=" << report.history.messages
        << " history_bytes=" << report.history.bytes
        << " history_memory=" << report.history.byte_limit
        << " history_evicted=" << report.history.evicted_for_memory << " threads=" << e.threads
        << " wakeups=" << e.wakeups << " events=" << e.events << " syscalls=" << e.syscalls;
    // Quoted: the library's name holds a space.
    out << " tls_listeners=" << report.tls.listeners << " tls_sessions=" << report.tls.sessions
        << " tls_library=\"" << report.tls.library << "\"";
    for (const auto& [k, v] : e.details) out << " [" << k << ": " << v << "]";
    return out.str();
}

}  // namespace ops
