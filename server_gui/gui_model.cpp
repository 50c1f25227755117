#include "gui_model.hpp"

#include <iterator>
#include <utility>

namespace server_gui {

SnapshotPtr GuiModel::exchange(std::vector<Command>& commands) {
    bool notify = false;
    SnapshotPtr snapshot;
    {
        std::lock_guard lock(mutex_);
        if (!commands.empty()) {
            commands_.insert(commands_.end(), std::make_move_iterator(commands.begin()),
                             std::make_move_iterator(commands.end()));
            notify = true;
        }
        snapshot = snapshot_;
    }
    commands.clear();
    if (notify) cv_.notify_one();
    return snapshot;
}

void GuiModel::publish(SnapshotPtr snapshot) {
    SnapshotPtr old;  // released outside the lock: a big snapshot takes a while to free
    std::lock_guard lock(mutex_);
    old = std::move(snapshot_);
    snapshot_ = std::move(snapshot);
}

std::vector<Command> GuiModel::wait_commands(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [this] { return stop_ || !commands_.empty(); });
    return std::exchange(commands_, {});
}

void GuiModel::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
}

bool GuiModel::stopping() const {
    std::lock_guard lock(mutex_);
    return stop_;
}

}  // namespace server_gui
