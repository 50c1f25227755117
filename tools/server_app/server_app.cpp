#include "server_app.hpp"

#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

namespace {
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}
}  // namespace

ServerApp::ServerApp(const ServerCommandLine& cl)
    : service_(cl.service_config()), server_(service_, cl.server_options()), engine_(cl.engine) {
    service_.set_engine_name_source([this] { return server_.engine_name(); });
}

ServerApp::~ServerApp() {
    shutdown(std::chrono::milliseconds(1000));
}

void ServerApp::start() {
    server_.start(engine_);
}

std::string ServerApp::listening_line() const {
    return "listening on " + server_.address() + ":" + std::to_string(server_.port()) +
           " engine=" + server_.engine_name();
}

std::string ServerApp::command(std::string_view line) {
    line = trim(line);
    if (line.empty()) return {};
    const auto space = line.find(' ');
    const std::string_view verb = line.substr(0, space);
    const std::string_view arg =
        space == std::string_view::npos ? "" : trim(line.substr(space + 1));

    if (verb == "/engine") {
        if (arg.empty()) return "engine " + server_.engine_name() + " (usage: /engine NAME)";
        std::string error;
        if (!server_.switch_engine(arg, error)) return "error: " + error;
        return "engine " + server_.engine_name();
    }
    if (verb == "/kick") {
        if (arg.empty()) return "usage: /kick NICK";
        return service_.kick(std::string(arg), "") ? "kicked " + std::string(arg)
                                                   : "error: no user " + std::string(arg);
    }
    if (verb == "/notice") {
        if (arg.empty()) return "usage: /notice TEXT";
        service_.notice(std::string(arg));
        return "notice sent";
    }
    if (verb == "/stats") return stats_text();
    if (verb == "/quit") {
        quit_ = true;
        return "shutting down";
    }
    if (verb == "/help") return "commands: /engine NAME, /kick NICK, /notice TEXT, /stats, /quit";
    return "error: unknown command '" + std::string(verb) + "' (try /help)";
}

std::string ServerApp::stats_text() const {
    auto& self = const_cast<ServerApp&>(*this);
    const auto t = self.service_.totals();
    const auto e = self.server_.engine_stats();
    std::ostringstream out;
    out << "engine=" << e.engine << " sessions=" << t.sessions << " rooms=" << t.rooms
        << " frames_in=" << t.frames_in << " frames_out=" << t.frames_out
        << " bytes_in=" << t.bytes_in << " bytes_out=" << t.bytes_out
        << " uptime_ms=" << t.uptime_ms << " refused_server_full=" << t.refused.server_full
        << " refused_per_address=" << t.refused.per_address
        << " refused_handshakes=" << t.refused.handshakes
        << " bad_passwords=" << t.refused.bad_password << " threads=" << e.threads
        << " wakeups=" << e.wakeups << " events=" << e.events << " syscalls=" << e.syscalls;
    for (const auto& [k, v] : e.details) out << " [" << k << ": " << v << "]";
    return out.str();
}

void ServerApp::shutdown(std::chrono::milliseconds grace) {
    if (shut_down_) return;
    shut_down_ = true;
    service_.shutdown("server shutting down");
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (server_.connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server_.stop();
}
