// client_gui: the chat client window. `client_gui --connect HOST:PORT --nick NAME` logs in at
// once and joins lobby; without them it opens on its connect panel. The network runs on
// netcore's client side (its engine thread) and a controller thread; this thread only draws.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "client_command_line.hpp"
#include "client_controller.hpp"
#include "client_model.hpp"
#include "client_window.hpp"
#include "gui_common/app_window.hpp"
#include "gui_common/font_loader.hpp"
#include "gui_common/test_hooks.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop = true;
}

std::string window_title(const client_gui::ClientView& view) {
    if (view.link == client_gui::Link::Idle || view.nick.empty()) return "netchat client";
    return "netchat - " + view.nick + " @ " + view.host + ":" + std::to_string(view.port) + " (" +
           client_gui::to_string(view.link) + ")";
}

}  // namespace

int main(int argc, char** argv) {
    client_gui::ClientCommandLine options;
    if (const auto exit_status = client_gui::parse_client_command_line(argc, argv, options))
        return *exit_status;

    spdlog::set_default_logger(spdlog::stderr_color_mt("client_gui"));
    spdlog::set_level(spdlog::level::from_str(options.log_level));

    gui_common::AppWindow window;
    std::string error;
    const std::string title = options.nick.empty() ? "netchat client" : "netchat - " + options.nick;
    if (!window.open(title, options.window.width, options.window.height, error)) {
        std::fprintf(stderr, "client_gui: %s\n", error.c_str());
        return 1;
    }
    if (options.window.x) window.move_to(*options.window.x, *options.window.y);
    const auto font = gui_common::load_fonts(16.0f);

    client_gui::ClientModel model;
    client_gui::ControllerOptions controller_options;
    controller_options.engine = options.engine;
    controller_options.tls_ca = options.ca_file;
    controller_options.tls_insecure = options.insecure;
    if (options.insecure)
        spdlog::warn("{}", client_gui::insecure_warning(options.host) +
                               " (--insecure; this applies to every TLS connect)");
    client_gui::ClientController controller(model, &gui_common::AppWindow::wake,
                                            controller_options);
    try {
        controller.start();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "client_gui: %s\n", e.what());
        return 1;
    }

    std::vector<client_gui::Command> commands;
    if (options.auto_connect()) {
        client_gui::Connect c;
        c.host = options.host;
        c.port = options.port;
        c.nick = options.nick;
        c.password = options.password;
        c.rooms = options.rooms;
        c.tls = options.tls;
        // Started from a script together with the server: wait for it to come up.
        c.keep_trying = true;
        commands.push_back(std::move(c));
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    client_gui::ClientWindow ui(options, font.name);
    std::string shown_title;
    while (!window.should_close() && !g_stop) {
        // Idle, it draws when a new view arrives, or twice a second for the countdowns.
        window.wait_next_frame(0.5);
        const auto view = model.exchange(commands);
        window.begin_frame();
        ui.draw(*view, commands, window.now());
        // Hand what the user did to the network now, not with the next frame.
        if (!commands.empty()) model.exchange(commands);
        window.render();
        window.present();

        gui_common::test_hooks::report_state(ui.summary(*view));
        if (const auto t = window_title(*view); t != shown_title) {
            shown_title = t;
            window.set_title(t);
        }
    }
    controller.stop();
    return 0;
}
