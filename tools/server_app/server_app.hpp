// The chat service wired to a netcore server, and the operator commands both front ends send.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "admin_socket.hpp"
#include "chat/service.hpp"
#include "metrics_endpoint.hpp"
#include "netcore/server.hpp"
#include "operator_command.hpp"
#include "server_command_line.hpp"

class ServerApp {
  public:
    explicit ServerApp(const ServerCommandLine& cl);
    ~ServerApp();

    // Listens, then opens the admin socket and the metrics endpoint (if asked); throws
    // std::runtime_error with a readable message.
    void start();
    // "listening on ADDR:PORT engine=NAME", one per listener, the first first.
    std::vector<std::string> listening_lines() const;
    std::string endpoint() const;  // the first listener's: "127.0.0.1:7777", "[::1]:7777"

    // Carries out one operator command (any thread; one at a time); Quit sets
    // quit_requested(), the caller shuts down.
    ops::CommandResult execute(const ops::Command& command);
    bool quit_requested() const { return quit_.load(); }
    // One line of operator text (stdin, the admin socket): parsed, carried out, logged with
    // `source`, answered with one line ("error: ..." when refused); nullopt for a blank line.
    std::optional<std::string> answer(std::string_view line, const std::string& source);

    // Closes the admin socket, says BYE to every session, then waits (at most `grace`) for
    // their queued frames to go out.
    void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

    chat::ChatService& service() { return service_; }
    netcore::Server& server() { return server_; }
    ops::StatsReport stats() const;
    std::string metrics_endpoint() const;  // "127.0.0.1:9464", or "" without --metrics

    // What /metrics and /health tell (any thread).
    struct EngineTotals {
        std::uint64_t wakeups = 0, events = 0, syscalls = 0;
    };
    // Each engine's counters since the server started, every run of it added up (an engine's
    // own counters start from zero each time it starts).
    std::map<std::string, EngineTotals> engine_totals() const;
    std::uint64_t send_queue_bytes() const;  // every session's unsent bytes together
    struct Health {
        bool serving = false;  // an engine runs and the server is not shutting down
        std::string text;      // "ok engine=epoll sessions=3", or why not
    };
    Health health() const;

  private:
    ops::CommandResult run(const ops::SwitchEngine& c);
    ops::CommandResult run(const ops::Kick& c);
    ops::CommandResult run(const ops::Notice& c);
    ops::CommandResult run(const ops::Stats& c);
    ops::CommandResult run(const ops::Quit& c);
    ops::CommandResult run(const ops::Help& c);
    ops::CommandResult run(const ops::Rehash& c);

    chat::ChatService service_;
    netcore::Server server_;           // after service_: stops first
    const ServerCommandLine started_;  // what needs a restart is compared with this
    ServerCommandLine current_;        // after the last reload
    std::string engine_;
    std::size_t max_sessions_;
    std::string node_;  // --node ("": the listening address)
    std::unique_ptr<AdminSocket> admin_;
    std::unique_ptr<MetricsEndpoint> metrics_;
    mutable std::mutex tallies_mutex_;  // held across a switch: totals never seen half-moved
    std::map<std::string, EngineTotals> retired_;  // engine runs that ended, by engine name
    std::atomic<bool> shutting_down_{false};
    std::mutex execute_mutex_;  // one command at a time, and none during the shutdown
    std::atomic<bool> quit_{false};
    bool shut_down_ = false;  // under execute_mutex_
};
