#include "room_directory.hpp"

#include <mutex>

namespace chat::detail {

RoomPtr RoomDirectory::open(const std::string& name) {
    std::lock_guard lock(mutex_);
    RoomPtr& slot = rooms_[name];
    if (!slot || slot->retired())
        slot = std::make_shared<Room>(name, traffic_, history_, clustered_);
    return slot;
}

void RoomDirectory::forget(const Room& room) {
    std::lock_guard lock(mutex_);
    const auto it = rooms_.find(room.name());
    if (it != rooms_.end() && it->second.get() == &room) rooms_.erase(it);
}

std::vector<RoomPtr> RoomDirectory::all() const {
    std::lock_guard lock(mutex_);
    std::vector<RoomPtr> out;
    out.reserve(rooms_.size());
    for (const auto& [name, room] : rooms_)
        if (!room->retired()) out.push_back(room);
    return out;
}

std::size_t RoomDirectory::size() const {
    std::lock_guard lock(mutex_);
    std::size_t live = 0;
    for (const auto& [name, room] : rooms_) live += room->retired() ? 0 : 1;
    return live;
}

void RoomDirectory::clear() {
    std::lock_guard lock(mutex_);
    rooms_.clear();
}

}  // namespace chat::detail
