#include "server_app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "descriptor_limit.hpp"
#include "listen_spec.hpp"
#include "option_checks.hpp"
#include "server_logging.hpp"

ServerApp::ServerApp(const ServerCommandLine& cl)
    : service_(cl.service_config()),
      server_(service_, cl.server_options()),
      started_(cl),
      current_(cl),
      engine_(cl.engine),
      max_sessions_(cl.max_sessions),
      node_(cl.node) {
    service_.set_engine_name_source([this] { return server_.engine_name(); });
}

ServerApp::~ServerApp() {
    shutdown(std::chrono::milliseconds(1000));
}

void ServerApp::start() {
    const DescriptorLimitOutcome limit = fit_descriptor_limit(max_sessions_);
    if (!limit.info.empty()) spdlog::info("{}", limit.info);
    if (!limit.warning.empty()) spdlog::warn("{}", limit.warning);
    server_.start(engine_);
    if (!started_.admin_socket.empty()) {
        admin_ = std::make_unique<AdminSocket>(
            started_.admin_socket, [this](std::string_view line, const std::string& who) {
                return answer(line, "admin socket, " + who);
            });
        try {
            admin_->start();
        } catch (...) {
            admin_.reset();
            server_.stop();
            throw;
        }
    }
    if (!started_.metrics.empty()) {
        std::string error;
        const auto spec = parse_listen_spec(started_.metrics, error);  // checked at parse time
        metrics_ = std::make_unique<MetricsEndpoint>(*this, spec ? spec->host : started_.metrics,
                                                     spec && spec->port ? *spec->port : 0);
        try {
            metrics_->start();
        } catch (...) {
            metrics_.reset();
            if (admin_) admin_->stop();
            server_.stop();
            throw;
        }
    }
    if (!node_.empty() || service_.config().cluster.size())
        service_.start_cluster(node_.empty() ? endpoint() : node_);
}

std::string ServerApp::metrics_endpoint() const {
    return metrics_ ? metrics_->endpoint() : std::string();
}

namespace {
std::string shown(const netcore::ListenAddress& where) {
    std::string host = where.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
    return host + ":" + std::to_string(where.port);
}
}  // namespace

std::string ServerApp::endpoint() const {
    return shown({server_.address(), server_.port()});
}

std::vector<std::string> ServerApp::listening_lines() const {
    std::vector<std::string> lines;
    for (const auto& where : server_.listening())
        lines.push_back("listening on " + shown(where) + (where.tls ? " (tls)" : "") +
                        " engine=" + server_.engine_name());
    return lines;
}

ops::CommandResult ServerApp::execute(const ops::Command& command) {
    if (std::string why = ops::problem_with(command); !why.empty())
        return ops::CommandResult::failure(std::move(why));
    std::lock_guard lock(execute_mutex_);
    if (shut_down_) return ops::CommandResult::failure("the server is shutting down");
    return std::visit([this](const auto& c) { return run(c); }, command);
}

std::optional<std::string> ServerApp::answer(std::string_view line, const std::string& source) {
    const ops::Parsed parsed = ops::parse(line);
    if (parsed.blank()) return std::nullopt;
    const ops::CommandResult result =
        parsed.command ? execute(*parsed.command) : ops::CommandResult::failure(parsed.error);
    std::string text = ops::to_text(result);
    std::replace(text.begin(), text.end(), '\n', ' ');  // one line per answer, always
    // The command as given (it holds no secret), at most a line's worth of it.
    std::string command(line.substr(0, 200));
    while (!command.empty() && (command.back() == '\r' || command.back() == ' '))
        command.pop_back();
    if (result.ok)
        spdlog::info("operator ({}): {}", source, command);
    else
        spdlog::warn("operator ({}): {}: {}", source, command, result.message);
    return text;
}

ops::CommandResult ServerApp::run(const ops::SwitchEngine& c) {
    if (c.engine.empty())
        return ops::CommandResult::success("engine " + server_.engine_name() +
                                           " (usage: /engine NAME)");
    std::string error;
    bool ok;
    {
        std::lock_guard tallies(tallies_mutex_);
        netcore::EngineStats retired;
        const auto began = std::chrono::steady_clock::now();
        ok = server_.switch_engine(c.engine, error, &retired);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
        if (!retired.engine.empty()) {  // the old engine's run ended: keep its counts
            EngineTotals& t = retired_[retired.engine];
            t.wakeups += retired.wakeups;
            t.events += retired.events;
            t.syscalls += retired.syscalls;
            if (metrics_) metrics_->engine_switched(retired.engine, c.engine, took.count(), ok);
        }
    }
    if (!ok) return ops::CommandResult::failure(error);
    return ops::CommandResult::success("engine " + server_.engine_name());
}

ops::CommandResult ServerApp::run(const ops::Kick& c) {
    if (!service_.kick(c.nick, c.reason)) return ops::CommandResult::failure("no user " + c.nick);
    return ops::CommandResult::success("kicked " + c.nick);
}

ops::CommandResult ServerApp::run(const ops::Notice& c) {
    service_.notice(c.text);  // execute() checked the text already
    return ops::CommandResult::success("notice sent");
}

ops::CommandResult ServerApp::run(const ops::Stats&) {
    ops::CommandResult result;
    result.stats = stats();
    result.message = ops::format_stats(*result.stats);
    return result;
}

ops::CommandResult ServerApp::run(const ops::Quit&) {
    quit_ = true;
    return ops::CommandResult::success("shutting down");
}

ops::CommandResult ServerApp::run(const ops::Help&) {
    return ops::CommandResult::success(ops::help_text());
}

ops::CommandResult ServerApp::run(const ops::Rehash&) {
    ServerCommandLine fresh;
    std::string error;
    if (!reread_server_command_line({"netchat", ""}, current_.args, fresh, error)) {
        spdlog::error("reload refused, the running settings stay: {}", error);
        return ops::CommandResult::failure("reload refused, nothing changed: " + error);
    }
    std::vector<std::string> changes = service_.reload(fresh.service_config());
    if (fresh.log_level != current_.log_level) {
        changes.push_back("log-level " + current_.log_level + " -> " + fresh.log_level);
        spdlog::default_logger()->set_level(spdlog::level::from_str(fresh.log_level));
    }
    if (fresh.log_file != current_.log_file)
        changes.push_back("log-file " + (current_.log_file.empty() ? "(none)" : current_.log_file) +
                          " -> " + (fresh.log_file.empty() ? "(none)" : fresh.log_file));
    try {
        reopen_server_log(fresh);
    } catch (const std::exception& e) {
        changes.push_back("log file not reopened: " + std::string(e.what()));
    }
    if (fresh.log_max_size != current_.log_max_size ||
        fresh.log_max_files != current_.log_max_files)
        changes.push_back("log rotation " + option_checks::format_bytes(current_.log_max_size) +
                          " x " + std::to_string(current_.log_max_files) + " -> " +
                          option_checks::format_bytes(fresh.log_max_size) + " x " +
                          std::to_string(fresh.log_max_files));
    if (fresh.max_send_queue != current_.max_send_queue) {
        server_.set_max_send_queue(fresh.max_send_queue);
        changes.push_back("max-send-queue " + option_checks::format_bytes(current_.max_send_queue) +
                          " -> " + option_checks::format_bytes(fresh.max_send_queue) +
                          " (for connections from now on; those open keep theirs)");
    }
    // What the running process cannot take: said once per reload while it differs.
    const auto restart = [&](const char* name, const auto& before, const auto& after) {
        if (before != after)
            changes.push_back(std::string(name) + " changed: takes effect at the next restart");
    };
    restart("listen", started_.listen, fresh.listen);
    restart("port", started_.port, fresh.port);
    if (started_.engine != fresh.engine)
        changes.push_back("engine changed: takes effect at the next restart (/engine " +
                          fresh.engine + " switches now)");
    restart("admin-socket", started_.admin_socket, fresh.admin_socket);
    restart("cluster", started_.cluster, fresh.cluster);
    restart("node", started_.node, fresh.node);
    restart("metrics", started_.metrics, fresh.metrics);
    restart("tls-cert", started_.tls_cert, fresh.tls_cert);
    restart("tls-key", started_.tls_key, fresh.tls_key);
    restart("tls-port", started_.tls_port, fresh.tls_port);
    restart("tls-only", started_.tls_only, fresh.tls_only);
    current_ = std::move(fresh);
    if (changes.empty()) {
        spdlog::info("reload: the settings are read again, nothing changed");
        return ops::CommandResult::success("reloaded: nothing changed");
    }
    std::string summary;
    for (const auto& change : changes) {
        spdlog::info("reload: {}", change);
        summary += (summary.empty() ? "" : "; ") + change;
    }
    return ops::CommandResult::success("reloaded: " + summary);
}

ops::StatsReport ServerApp::stats() const {
    ops::StatsReport report{service_.totals(), server_.engine_stats(), service_.history(), {}};
    for (const auto& where : server_.listening()) report.tls.listeners += where.tls ? 1 : 0;
    for (const auto& conn : server_.connections()) report.tls.sessions += conn->is_tls() ? 1 : 0;
    report.tls.library = netcore::tls_library();
    return report;
}

std::map<std::string, ServerApp::EngineTotals> ServerApp::engine_totals() const {
    std::lock_guard tallies(tallies_mutex_);
    std::map<std::string, EngineTotals> totals = retired_;
    const netcore::EngineStats now = server_.engine_stats();
    if (!now.engine.empty()) {
        EngineTotals& t = totals[now.engine];
        t.wakeups += now.wakeups;
        t.events += now.events;
        t.syscalls += now.syscalls;
    }
    return totals;
}

std::uint64_t ServerApp::send_queue_bytes() const {
    std::uint64_t bytes = 0;
    for (const auto& conn : server_.connections()) bytes += conn->queued_bytes();
    return bytes;
}

ServerApp::Health ServerApp::health() const {
    if (shutting_down_.load()) return {false, "unavailable: shutting down"};
    const std::string engine = server_.engine_name();
    if (engine.empty()) return {false, "unavailable: no engine runs (see the log)"};
    return {true,
            "ok engine=" + engine + " sessions=" + std::to_string(service_.totals().sessions)};
}

void ServerApp::shutdown(std::chrono::milliseconds grace) {
    if (admin_) admin_->stop();  // first: its thread may be waiting for execute_mutex_
    std::lock_guard lock(execute_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    shutting_down_ = true;  // /health says so from now on
    service_.shutdown("server shutting down");
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (server_.connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    server_.stop();
    if (metrics_) metrics_->stop();  // last: a scrape during the grace still gets an answer
}
