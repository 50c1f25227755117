// The chat service wired to a netcore server, and the operator commands both front ends take.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "chat/service.hpp"
#include "netcore/server.hpp"
#include "server_command_line.hpp"

class ServerApp {
  public:
    explicit ServerApp(const ServerCommandLine& cl);
    ~ServerApp();

    void start();                        // throws std::runtime_error with a readable message
    std::string listening_line() const;  // "listening on ADDR:PORT engine=NAME"

    // One operator command: /engine NAME, /kick NICK, /notice TEXT, /stats, /quit, /help.
    // Returns the reply to show; sets quit_requested() on /quit.
    std::string command(std::string_view line);
    bool quit_requested() const { return quit_; }

    // BYE to every session, then waits (at most `grace`) for their queued frames to go out.
    void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

    chat::ChatService& service() { return service_; }
    netcore::Server& server() { return server_; }
    std::string stats_text() const;

  private:
    chat::ChatService service_;
    netcore::Server server_;  // after service_: stops first
    std::string engine_;
    bool quit_ = false;
    bool shut_down_ = false;
};
