// --check-config's report: the effective settings as TOML that --config reads back, each with
// where it came from. The password itself is never printed.
#include <cstdio>
#include <string>
#include <vector>

#include "option_checks.hpp"
#include "server_command_line.hpp"

namespace {

// A TOML string; CLI11's reader takes the quotes off without unescaping, so pick the quote the
// value does not hold.
std::string quoted(const std::string& s) {
    const char q = s.find('"') == std::string::npos ? '"' : '\'';
    return q + s + q;
}

// A TOML array of strings: ["127.0.0.1:7777", "[::1]:7777"].
std::string quoted_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + quoted(item);
    return out + "]";
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

std::string effective_settings_text(const ServerCommandLine& cl) {
    std::vector<std::pair<std::string, std::string>> rows = {
        {"engine", quoted(cl.engine)},
        {"listen", cl.listen.size() == 1 ? quoted(cl.listen.front()) : quoted_list(cl.listen)},
        {"port", std::to_string(cl.port)},
        {"tls-cert", quoted(cl.tls_cert)},
        {"tls-key", quoted(cl.tls_key)},
        {"tls-port", cl.tls_port ? std::to_string(*cl.tls_port) : ""},
        {"tls-only", cl.tls_only ? "true" : "false"},
        {"password-file", quoted(cl.password_file)},
        {"max-sessions", std::to_string(cl.max_sessions)},
        {"max-per-address", std::to_string(cl.max_per_address)},
        {"limit-loopback", cl.limit_loopback ? "true" : "false"},
        {"max-handshakes", std::to_string(cl.max_handshakes)},
        {"max-frame", std::to_string(cl.max_frame)},
        {"max-send-queue", quoted(option_checks::format_bytes(cl.max_send_queue))},
        {"handshake-timeout", number(cl.handshake_timeout_s)},
        {"idle-timeout", number(cl.idle_timeout_s)},
        {"rate-limit", number(cl.rate_limit)},
        {"name", quoted(cl.name)},
        {"cluster", quoted(cl.cluster)},
        {"node", quoted(cl.node)},
        {"log-level", quoted(cl.log_level)},
        {"log-file", quoted(cl.log_file)},
        {"log-max-size", quoted(option_checks::format_bytes(cl.log_max_size))},
        {"log-max-files", std::to_string(cl.log_max_files)},
        {"history", std::to_string(cl.history)},
        {"history-memory", quoted(option_checks::format_bytes(cl.history_memory))},
        {"admin-socket", quoted(cl.admin_socket)},
        {"metrics", quoted(cl.metrics)},
    };
    std::string out =
        "# effective settings (strongest first: command line, NETCHAT_* environment, "
        "config file, default)\n";
    if (!cl.config_file.empty()) out += "# config file: " + cl.config_file + "\n";
    const auto source = [&](const std::string& key) {
        auto it = cl.sources.find(key);
        return it == cl.sources.end() ? std::string("default") : it->second;
    };
    if (cl.password.empty())
        out += "# password: none (any password is accepted)\n";
    else
        out += "# password: set (" +
               (cl.password_file.empty() ? source("password") : "read from " + cl.password_file) +
               "; never printed)\n";
    if (cl.tls) {
        std::string where;
        for (const auto& l : cl.listeners())
            where += (where.empty() ? "" : ", ") + l.host + ":" + std::to_string(l.port) +
                     (l.tls ? " (tls)" : " (plain)");
        out += "# tls: " + netcore::tls_library() + "; listeners " + where + "\n";
    }
    for (const auto& [key, value] : rows) {
        if ((key == "password-file" && cl.password_file.empty()) ||
            (key == "log-file" && cl.log_file.empty()) ||
            (key == "admin-socket" && cl.admin_socket.empty()) ||
            (key == "cluster" && cl.cluster.empty()) || (key == "node" && cl.node.empty()) ||
            (key == "metrics" && cl.metrics.empty()) ||
            (key.rfind("tls-", 0) == 0 && cl.tls_cert.empty() && cl.tls_key.empty()) ||
            (key == "tls-port" && !cl.tls_port))
            continue;
        std::string line = key + " = " + value;
        if (line.size() < 40) line.resize(40, ' ');
        out += line + " # " + source(key) + "\n";
    }
    return out;
}
