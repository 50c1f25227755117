#include "client_model.hpp"

namespace client_gui {

const char* to_string(Link link) {
    switch (link) {
        case Link::Idle:
            return "idle";
        case Link::Connecting:
            return "connecting";
        case Link::LoggingIn:
            return "logging-in";
        case Link::Ready:
            return "connected";
        case Link::Retrying:
            return "reconnecting";
        case Link::Refused:
            return "refused";
    }
    return "?";
}

ViewPtr ClientModel::exchange(std::vector<Command>& commands) {
    std::lock_guard lock(mutex_);
    if (!commands.empty()) {
        for (auto& c : commands) commands_.push_back(std::move(c));
        commands.clear();
        cv_.notify_all();
    }
    return view_;
}

void ClientModel::publish(ViewPtr view) {
    std::lock_guard lock(mutex_);
    view_ = std::move(view);
}

std::vector<Command> ClientModel::wait(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return stop_ || poked_ || !commands_.empty(); });
    poked_ = false;
    std::vector<Command> out;
    out.swap(commands_);
    return out;
}

void ClientModel::poke() {
    std::lock_guard lock(mutex_);
    poked_ = true;
    cv_.notify_all();
}

void ClientModel::stop() {
    std::lock_guard lock(mutex_);
    stop_ = true;
    cv_.notify_all();
}

bool ClientModel::stopping() const {
    std::lock_guard lock(mutex_);
    return stop_;
}

}  // namespace client_gui
