// The three counters of EngineStats every engine keeps (returns from its wait call, events or
// completions handled, system calls made), bumped on its threads and read by stats() from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "netcore/engine.hpp"

namespace netcore {

class EngineCounters {
  public:
    void wakeup(std::uint64_t n = 1) { wakeups_.fetch_add(n, std::memory_order_relaxed); }
    void events(std::uint64_t n) { events_.fetch_add(n, std::memory_order_relaxed); }
    void syscalls(std::uint64_t n) { syscalls_.fetch_add(n, std::memory_order_relaxed); }

    // The engine's stats so far: its name, its threads and the three counters.
    EngineStats snapshot(std::string_view engine, std::uint64_t threads) const {
        EngineStats s;
        s.engine = std::string(engine);
        s.threads = threads;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        return s;
    }

  private:
    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0};
};

}  // namespace netcore
