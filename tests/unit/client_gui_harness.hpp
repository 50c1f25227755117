// A ClientController with its model, for tests without a display: commands in, views out.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "client_controller.hpp"

namespace client_gui::test_harness {

using namespace std::chrono_literals;

// A controller with its model, and a way to wait for the view it publishes.
struct Harness {
    explicit Harness(ControllerOptions options = fast_options())
        : controller(model, nullptr, std::move(options)) {
        controller.start();
    }
    static ControllerOptions fast_options() {
        ControllerOptions o;
        o.ping_every = 200ms;
        o.info_every = 200ms;
        o.rooms_every = 300ms;
        o.backoff.first = 50ms;
        o.backoff.most = 200ms;
        return o;
    }
    void command(Command c) {
        std::vector<Command> cs{std::move(c)};
        model.exchange(cs);
    }
    ViewPtr wait(const std::function<bool(const ClientView&)>& pred,
                 std::chrono::milliseconds timeout = 5s) {
        std::vector<Command> none;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto view = model.exchange(none);
            if (pred(*view)) return view;
            if (std::chrono::steady_clock::now() > deadline) return nullptr;
            std::this_thread::sleep_for(10ms);
        }
    }
    ClientModel model;
    ClientController controller;
};

inline Connect connect_to(std::uint16_t port, const std::string& nick,
                          const std::string& password = "") {
    Connect c;
    c.host = "127.0.0.1";
    c.port = port;
    c.nick = nick;
    c.password = password;
    c.rooms = {"lobby", "보드게임"};
    return c;
}

inline bool has_line(const ClientView& v, const std::string& room, const std::string& text) {
    auto it = v.rooms.find(room);
    if (it == v.rooms.end()) return false;
    for (const auto& l : it->second->lines)
        if (l.text == text) return true;
    return false;
}

}  // namespace client_gui::test_harness
