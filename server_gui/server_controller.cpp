#include "server_controller.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

namespace server_gui {
namespace {

// Per-second rate of a counter that may have restarted (a new server or a new engine).
double rate(std::uint64_t now, std::uint64_t before, double seconds) {
    if (seconds <= 0 || now < before) return 0;
    return static_cast<double>(now - before) / seconds;
}

}  // namespace

ServerController::ServerController(ServerCommandLine options, GuiModel& model,
                                   std::function<void()> wake,
                                   std::function<void(const std::string&)> announce)
    : options_(std::move(options)),
      model_(model),
      wake_(std::move(wake)),
      announce_(std::move(announce)) {}

ServerController::~ServerController() {
    stop();
}

bool ServerController::start() {
    const bool ok = start_server(options_);
    sample();
    thread_ = std::thread([this] { run(); });
    return ok;
}

void ServerController::stop() {
    model_.stop();
    if (thread_.joinable()) thread_.join();
    stop_server();
}

bool ServerController::start_server(const ServerCommandLine& options) {
    auto app = std::make_unique<ServerApp>(options);
    try {
        app->start();
    } catch (const std::exception& e) {
        start_error_ = e.what();
        spdlog::error("server did not start: {}", start_error_);
        return false;
    }
    start_error_.clear();
    app_ = std::move(app);
    options_ = options;
    for (const std::string& line : app_->listening_lines()) announce_(line);
    spdlog::info("serving on {} with engine {} (netchat {})", app_->endpoint(),
                 app_->server().engine_name(), netchat_version());
    return true;
}

void ServerController::stop_server() {
    if (!app_) return;
    spdlog::info("stopping: saying BYE to {} sessions", app_->server().connection_count());
    app_->shutdown();
    app_.reset();
    spdlog::info("stopped");
}

void ServerController::run() {
    auto next_tick = std::chrono::steady_clock::now() + kSampleInterval;
    while (!model_.stopping()) {
        const auto commands = model_.wait_commands(next_tick);
        for (const auto& command : commands) execute(command);
        if (app_ && app_->quit_requested()) stop_server();  // /quit on the admin socket
        const auto now = std::chrono::steady_clock::now();
        if (!commands.empty() || now >= next_tick) {
            sample();
            wake_();
        }
        if (now >= next_tick) next_tick = now + kSampleInterval;
    }
}

void ServerController::execute(const Command& command) {
    const ops::CommandResult result = std::visit(
        [&](const auto& c) -> ops::CommandResult {
            using T = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<T, StartServer>) {
                if (app_) return ops::CommandResult::failure("already running");
                ServerCommandLine options = options_;
                options.listen = {c.listen};
                options.port = c.port;
                options.password = c.password;
                if (!c.engine.empty()) options.engine = c.engine;
                if (!start_server(options)) return ops::CommandResult::failure(start_error_);
                return ops::CommandResult::success("started");
            } else if constexpr (std::is_same_v<T, StopServer>) {
                stop_server();
                return ops::CommandResult::success("stopped");
            } else if constexpr (std::is_same_v<T, ops::SwitchEngine>) {
                if (app_) return app_->execute(c);
                options_.engine = c.engine;
                return ops::CommandResult::success("engine " + c.engine + " (at the next start)");
            } else {
                if (!app_) return ops::CommandResult::failure("not running");
                return app_->execute(c);  // Kick, Notice
            }
        },
        command);
    last_result_ = result;
    announce_(ops::to_text(result));
    if (result.ok)
        spdlog::info("operator: {}", result.message);
    else
        spdlog::warn("operator: {}", result.message);
}

void ServerController::sample() {
    const auto now = std::chrono::steady_clock::now();
    const double dt = last_sample_ == std::chrono::steady_clock::time_point{}
                          ? 0
                          : std::chrono::duration<double>(now - last_sample_).count();
    const bool tick = dt >= std::chrono::duration<double>(kSampleInterval).count() * 0.5;

    auto snap = std::make_shared<Snapshot>();
    snap->serial = ++serial_;
    snap->taken = now;
    snap->running = app_ != nullptr;
    snap->last_result = last_result_;
    snap->start_error = start_error_;
    snap->address = options_.listen.front();
    snap->port = options_.port;
    snap->engine = options_.engine;
    if (app_) {
        snap->port = app_->server().port();
        for (const auto& l : app_->server().listening())
            if (l.tls && l.port != snap->port)
                snap->tls += (snap->tls.empty() ? "TLS on :" : ", :") + std::to_string(l.port);
            else if (l.tls && snap->tls.empty())
                snap->tls = "TLS";
        snap->engine = app_->server().engine_name();
        snap->sessions = app_->service().sessions();
        snap->rooms = app_->service().rooms();
        snap->totals = app_->service().totals();
        snap->history = app_->service().history();
        snap->cluster = app_->service().cluster();
        snap->engine_stats = app_->server().engine_stats();
    }

    // Rates only on the regular tick: a sample forced by a command may be milliseconds after
    // the previous one and would make the plot jump.
    if (tick) {
        TrafficSample t;
        t.frames_in = static_cast<float>(rate(snap->totals.frames_in, last_totals_.frames_in, dt));
        t.frames_out =
            static_cast<float>(rate(snap->totals.frames_out, last_totals_.frames_out, dt));
        t.bytes_in = static_cast<float>(rate(snap->totals.bytes_in, last_totals_.bytes_in, dt));
        t.bytes_out = static_cast<float>(rate(snap->totals.bytes_out, last_totals_.bytes_out, dt));
        t.cpu_percent = static_cast<float>(cpu_.sample());
        traffic_.push_back(t);
        const auto keep = static_cast<std::size_t>(kHistory / kSampleInterval);
        while (traffic_.size() > keep) traffic_.pop_front();

        const auto& e = snap->engine_stats;
        if (e.engine == last_engine_.engine) {
            engine_rates_.wakeups = rate(e.wakeups, last_engine_.wakeups, dt);
            engine_rates_.events = rate(e.events, last_engine_.events, dt);
            engine_rates_.syscalls = rate(e.syscalls, last_engine_.syscalls, dt);
        } else {
            engine_rates_ = {};  // a new engine counts from zero
        }
        last_totals_ = snap->totals;
        last_engine_ = e;
        last_sample_ = now;
    } else if (last_sample_ == std::chrono::steady_clock::time_point{}) {
        last_totals_ = snap->totals;
        last_engine_ = snap->engine_stats;
        last_sample_ = now;
    }
    snap->engine_rates = engine_rates_;
    snap->traffic.assign(traffic_.begin(), traffic_.end());
    snap->sample_seconds = std::chrono::duration<float>(kSampleInterval).count();
    snap->cpu_percent = traffic_.empty() ? 0 : traffic_.back().cpu_percent;
    model_.publish(std::move(snap));
}

}  // namespace server_gui
