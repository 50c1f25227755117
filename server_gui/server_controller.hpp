// The controller thread: owns the running ServerApp, carries out the operator's commands and
// samples the service and engine a few times per second into snapshots for the UI. Everything
// that may take a lock the network threads use, or wait for them (an engine switch, a stop),
// happens here and never on the UI thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cpu_meter.hpp"
#include "gui_model.hpp"
#include "server_app.hpp"
#include "server_command_line.hpp"

namespace server_gui {

class ServerController {
  public:
    // `wake` is called (from the controller thread) after each new snapshot, so a UI that
    // sleeps in its event wait draws it; `announce` gets the lines a user of chat_server
    // would see on stdout ("listening on ...", command replies).
    ServerController(ServerCommandLine options, GuiModel& model, std::function<void()> wake,
                     std::function<void(const std::string&)> announce);
    ~ServerController();
    ServerController(const ServerController&) = delete;
    ServerController& operator=(const ServerController&) = delete;

    // Starts serving with the command line's options (on the calling thread, so the result is
    // known at once), then the controller thread. False if the server failed to start; the
    // window still opens and shows why.
    bool start();
    // Says BYE to every session, stops the server and joins the thread.
    void stop();

    static constexpr std::chrono::milliseconds kSampleInterval{250};
    static constexpr std::chrono::seconds kHistory{60};

  private:
    void run();
    void execute(const Command& command);
    bool start_server(const ServerCommandLine& options);
    void stop_server();
    void sample();

    ServerCommandLine options_;
    GuiModel& model_;
    std::function<void()> wake_;
    std::function<void(const std::string&)> announce_;
    std::unique_ptr<ServerApp> app_;
    std::thread thread_;

    // Sampling state: previous totals for rates, and the traffic of the last minute.
    std::uint64_t serial_ = 0;
    ops::CommandResult last_result_;
    std::string start_error_;
    std::chrono::steady_clock::time_point last_sample_{};
    chat::ServiceTotals last_totals_{};
    netcore::EngineStats last_engine_{};
    EngineRates engine_rates_{};
    std::deque<TrafficSample> traffic_;
    CpuMeter cpu_;
};

}  // namespace server_gui
