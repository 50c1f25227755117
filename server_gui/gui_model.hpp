// The exchange between the UI thread and the controller thread. The controller publishes
// immutable snapshots a few times per second; once per frame the UI takes the newest one and
// hands over the commands the operator queued. Neither side holds the lock for more than a
// pointer swap, so the UI never waits on the network and the network never waits on the UI.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "chat/service.hpp"
#include "netcore/engine.hpp"
#include "operator_command.hpp"

namespace server_gui {

// Rates over one sampling interval, per second.
struct TrafficSample {
    float frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
    float cpu_percent = 0;  // of one core
};

struct EngineRates {
    double wakeups = 0, events = 0, syscalls = 0;
};

struct Snapshot {
    std::uint64_t serial = 0;
    std::chrono::steady_clock::time_point taken{};

    bool running = false;
    std::string address;
    std::uint16_t port = 0;
    // TLS where it is served: "" (none), "TLS" (every listener), "TLS on :6697".
    std::string tls;
    std::string engine;              // in use (or to be used at the next start)
    ops::CommandResult last_result;  // of the newest operator command
    std::string start_error;         // why the server is not running, if it failed to start

    std::vector<chat::SessionInfo> sessions;
    std::vector<chat::RoomInfo> rooms;
    chat::ServiceTotals totals;
    chat::HistoryInfo history;    // every room's history against --history-memory
    chat::ClusterStatus cluster;  // enabled == false when the server runs alone
    netcore::EngineStats engine_stats;
    EngineRates engine_rates;

    std::vector<TrafficSample> traffic;  // oldest first, the last minute
    float sample_seconds = 0.25f;        // spacing of `traffic`
    double cpu_percent = 0;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// What the operator asks for; the controller carries them out off the UI thread. Besides
// starting and stopping, they are the operator commands chat_server takes on stdin, as the
// same values (ops::), built here directly rather than written out as text.
struct StartServer {
    std::string listen;
    std::uint16_t port = 0;
    std::string password;
    std::string engine;
};
struct StopServer {};
using Command = std::variant<StartServer, StopServer, ops::SwitchEngine, ops::Kick, ops::Notice>;

class GuiModel {
  public:
    // UI thread, once per frame: hands over `commands` (left empty) and returns the newest
    // snapshot (never null).
    SnapshotPtr exchange(std::vector<Command>& commands);

    // Controller thread.
    void publish(SnapshotPtr snapshot);
    // Waits until commands arrive, `deadline` passes or stop() is called; returns the commands.
    std::vector<Command> wait_commands(std::chrono::steady_clock::time_point deadline);
    void stop();
    bool stopping() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    SnapshotPtr snapshot_ = std::make_shared<const Snapshot>();
    std::vector<Command> commands_;
    bool stop_ = false;
};

}  // namespace server_gui
