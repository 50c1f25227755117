// Keeps a number of connections cycling through a room run: each opens, logs in, joins, and
// closes itself on JOINED (RoomWorker); its close makes room for the next. Its own thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "chat_bench/room_run.hpp"

namespace chat_bench {

class Churner {
  public:
    // Connection indexes from `first_index` up (RoomWorker makes them churners, not members).
    Churner(RoomRun& run, std::size_t first_index, std::size_t churners);
    ~Churner() { stop(); }
    Churner(const Churner&) = delete;
    Churner& operator=(const Churner&) = delete;

    void stop();  // no new connection; those open finish their cycle
    std::uint64_t connect_failures() const { return failures_.load(); }
    std::string first_failure() const;

  private:
    void loop();

    RoomRun& run_;
    std::size_t next_index_;
    const std::size_t churners_;
    std::atomic<bool> running_{true};
    std::atomic<std::uint64_t> failures_{0};
    mutable std::mutex mutex_;
    std::string first_failure_;
    std::thread thread_;
};

}  // namespace chat_bench
