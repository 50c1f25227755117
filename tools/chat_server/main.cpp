// chat_server: the headless chat server. Prints one "listening on ..." line when ready,
// logs to stderr, takes operator commands on stdin (and on --admin-socket), re-reads its
// settings on SIGHUP or /rehash, and shuts down gracefully on SIGINT/SIGTERM or /quit.
// `chat_server --cli COMMAND` is the admin socket's client instead (admin_client.hpp).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "admin_client.hpp"
#include "server_app.hpp"
#include "server_logging.hpp"
#include "service_manager.hpp"

namespace {
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
void on_signal(int) {
    g_stop = true;
}
[[maybe_unused]] void on_hangup(int) {
    g_reload = true;
}
}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (std::find(args.begin(), args.end(), "--cli") != args.end()) return run_admin_cli(args);

    ServerCommandLine options;
    const ProgramInfo program{
        "chat_server",
        "chat_server: the headless chat server (wire protocol v1, docs/protocol.md)"};
    if (const auto exit_status = parse_server_command_line(argc, argv, program, options))
        return *exit_status;

    try {
        install_server_logger("chat_server", options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chat_server: --log-file %s: %s\n", options.log_file.c_str(),
                     e.what());
        return 2;
    }
    for (const auto& warning : options.warnings) spdlog::warn("{}", warning);

    // Before the "listening on" line: a client that reads it may signal at once (a handler
    // installed after it let an early SIGTERM kill the process without BYE).
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
#ifdef SIGHUP  // POSIX: re-read the settings (Windows has no SIGHUP; /rehash works there)
    std::signal(SIGHUP, on_hangup);
#endif

    ServerApp app(options);
    try {
        app.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chat_server: %s\n", e.what());
        return 1;
    }
    for (const std::string& line : app.listening_lines()) std::printf("%s\n", line.c_str());
    if (const std::string metrics = app.metrics_endpoint(); !metrics.empty())
        std::printf("metrics on http://%s/metrics\n", metrics.c_str());
    std::fflush(stdout);
    service_manager::ready();
    spdlog::info("serving on {} with engine {} (netchat {})", app.endpoint(),
                 app.server().engine_name(), netchat_version());

    // Operator commands; EOF on stdin (a daemon) just ends this reader. The admin socket's
    // thread answers its clients the same way (ServerApp::answer).
    std::thread console([&] {
        std::string line;
        while (!g_stop && std::getline(std::cin, line)) {
            if (const auto answer = app.answer(line, "stdin")) {
                std::printf("%s\n", answer->c_str());
                std::fflush(stdout);
            }
        }
    });
    console.detach();

    while (!g_stop && !app.quit_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (g_reload.exchange(false)) {
            spdlog::info("SIGHUP: reading the settings again");
            app.execute(ops::Rehash{});  // logs what changed, or why nothing did
        }
    }
    g_stop = true;
    service_manager::stopping();
    spdlog::info("shutting down: saying BYE to {} sessions", app.server().connection_count());
    app.shutdown();
    spdlog::info("stopped");
    std::fflush(stdout);
    std::_Exit(0);  // the console thread may still sit in getline()
}
