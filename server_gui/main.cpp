// server_gui: the chat server with a window. Same command line as chat_server (shared code);
// it starts serving at once, prints the same "listening on ADDR:PORT engine=NAME" line, and
// shows sessions, rooms, traffic, engine internals and the log live.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gui_common/app_window.hpp"
#include "gui_common/font_loader.hpp"
#include "gui_common/test_hooks.hpp"
#include "gui_common/window_geometry.hpp"
#include "gui_model.hpp"
#include "log_sink.hpp"
#include "server_command_line.hpp"
#include "server_controller.hpp"
#include "server_logging.hpp"
#include "server_window.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop = true;
}

// stdout carries the lines scripts and tests read; two threads write them.
void announce(const std::string& line) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// stderr, --log-file and the log panel. Throws if the log file cannot be opened.
std::shared_ptr<server_gui::LogRing> set_up_logging(const ServerCommandLine& options) {
    auto ring = std::make_shared<server_gui::LogRing>(4000);
    auto to_panel = std::make_shared<server_gui::RingSink>(ring);
    to_panel->set_pattern("%H:%M:%S.%e %^%-5l%$ %v");
    install_server_logger("server_gui", options, {to_panel});
    return ring;
}

std::string window_title(const server_gui::Snapshot& snap) {
    if (!snap.running) return "netchat server (stopped)";
    return "netchat server - " + snap.address + ":" + std::to_string(snap.port) + " (" +
           snap.engine + ", " + std::to_string(snap.sessions.size()) + " sessions)";
}

// --geometry WxH[+X+Y] is the window's alone (chat_server has none): it is taken out of the
// arguments before the shared settings read the rest. False, explained, when it is bad.
bool take_geometry(std::vector<char*>& args, gui_common::WindowGeometry& geometry) {
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string arg = args[i];
        std::string value;
        std::size_t taken = 1;
        if (arg == "--geometry") {
            value = i + 1 < args.size() ? args[i + 1] : "";
            taken = 2;
        } else if (arg.rfind("--geometry=", 0) == 0) {
            value = arg.substr(std::string("--geometry=").size());
        } else {
            continue;
        }
        if (!gui_common::parse_geometry(value, geometry) || i + taken > args.size()) {
            std::fprintf(stderr,
                         "server_gui: --geometry: expected WxH or WxH+X+Y (e.g. 1280x440+0+0), "
                         "got '%s'\n",
                         value.c_str());
            return false;
        }
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                   args.begin() + static_cast<std::ptrdiff_t>(i + taken));
        --i;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    gui_common::WindowGeometry geometry{1280, 800, {}, {}};
    std::vector<char*> args(argv, argv + argc);
    if (!take_geometry(args, geometry)) return 2;
    ServerCommandLine options;
    const ProgramInfo program{
        "server_gui",
        "server_gui: the chat server with its window (wire protocol v1, docs/protocol.md); "
        "--geometry WxH[+X+Y] sizes and places the window (default 1280x800)"};
    if (const auto exit_status =
            parse_server_command_line(static_cast<int>(args.size()), args.data(), program, options))
        return *exit_status;

    std::shared_ptr<server_gui::LogRing> log_ring;
    try {
        log_ring = set_up_logging(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "server_gui: --log-file %s: %s\n", options.log_file.c_str(), e.what());
        return 2;
    }
    for (const auto& warning : options.warnings) spdlog::warn("{}", warning);

    gui_common::AppWindow window;
    std::string error;
    if (!window.open("netchat server", geometry.width, geometry.height, error)) {
        std::fprintf(stderr, "server_gui: %s\n", error.c_str());
        return 1;
    }
    // A test finds widgets by the coordinates the hooks print; a pinned window keeps the
    // screenshot (of the whole virtual screen) exactly the window.
    if (gui_common::test_hooks::enabled())
        window.move_to(0, 0);
    else if (geometry.x)
        window.move_to(*geometry.x, *geometry.y);
    const auto font = gui_common::load_fonts(16.0f);

    server_gui::GuiModel model;
    server_gui::ServerController controller(options, model, &gui_common::AppWindow::wake, announce);
    controller.start();  // a failure to listen shows in the window, with a Start button

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    server_gui::ServerWindow ui(options.listen.front(), options.port, options.password, log_ring,
                                font.name);
    std::vector<server_gui::Command> commands;
    std::string title;
    while (!window.should_close() && !g_stop) {
        // Idle, it draws when the controller posts a snapshot (4/s) or every half second.
        window.wait_next_frame(0.5);
        const auto snap = model.exchange(commands);

        const double frame_start = window.now();
        window.begin_frame();
        ui.draw(*snap, commands);
        // Hand the frame's commands over now rather than with the next frame's snapshot,
        // which may be half a second away when idle.
        if (!commands.empty()) model.exchange(commands);
        window.render();
        ui.set_frame_time((window.now() - frame_start) * 1000.0);
        window.present();

        gui_common::test_hooks::report_state("running=" + std::to_string(snap->running ? 1 : 0) +
                                             " engine=" + snap->engine +
                                             " sessions=" + std::to_string(snap->sessions.size()) +
                                             " rooms=" + std::to_string(snap->rooms.size()));
        if (const auto t = window_title(*snap); t != title) {
            title = t;
            window.set_title(title);
        }
    }

    spdlog::info("window closed: shutting down");
    controller.stop();
    return 0;
}
