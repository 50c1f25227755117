// What other threads hand a loop engine (epoll, poll, select): ids of connections woken for
// output, and sockets connected elsewhere to adopt. The loop takes both in one lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "netcore/connection.hpp"

namespace netcore {

class WakeInbox {
  public:
    // Both return true when the inbox was empty: the loop must be signalled once.
    bool post_wake(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        woken_.push_back(id);
        return first;
    }
    bool post_adopt(ConnectionPtr conn) {
        std::lock_guard lock(mutex_);
        const bool first = empty();
        adopted_.push_back(std::move(conn));
        return first;
    }

    // Loop thread: appends the woken ids to `dirty` and returns the connections to adopt.
    std::vector<ConnectionPtr> take(std::vector<std::uint64_t>& dirty) {
        std::vector<ConnectionPtr> adopted;
        std::lock_guard lock(mutex_);
        dirty.insert(dirty.end(), woken_.begin(), woken_.end());
        woken_.clear();
        adopted.swap(adopted_);
        return adopted;
    }

  private:
    bool empty() const { return woken_.empty() && adopted_.empty(); }

    std::mutex mutex_;
    std::vector<std::uint64_t> woken_;
    std::vector<ConnectionPtr> adopted_;
};

}  // namespace netcore
