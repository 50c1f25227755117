// The rooms of this server by name. Its lock (rank RoomDirectory) is a leaf: it is never held
// together with a room's lock, so an empty room is retired under its own lock first and
// dropped from here afterwards (forget), and a joiner that meets a retired room opens a new one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "room.hpp"

namespace chat::detail {

class RoomDirectory {
  public:
    // `clustered`: the rooms are shared with other nodes (see Room).
    RoomDirectory(TrafficCounters& traffic, const HistoryStore& history, bool clustered = false)
        : traffic_(traffic), history_(history), clustered_(clustered) {}

    // The room of that name, created if there is none or the one there is retired.
    RoomPtr open(const std::string& name);
    // Drops `room` if it is still the one under its name.
    void forget(const Room& room);
    // Every room, by name (retired ones skipped).
    std::vector<RoomPtr> all() const;
    std::size_t size() const;
    void clear();

  private:
    TrafficCounters& traffic_;
    const HistoryStore& history_;
    const bool clustered_;
    mutable RankedMutex mutex_{LockRank::RoomDirectory};
    std::map<std::string, RoomPtr> rooms_;
};

}  // namespace chat::detail
