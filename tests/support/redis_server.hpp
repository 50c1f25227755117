// A real redis-server for the cluster tests, started on a free loopback port with no
// persistence (so a restart comes back empty), and killed at the end. Every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace testing_support {

class RedisServer {
  public:
    // `extra`: more redis-server arguments ("--client-output-buffer-limit", "pubsub 64kb 32kb 1").
    explicit RedisServer(std::vector<std::string> extra = {});
    ~RedisServer();

    std::uint16_t port() const { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
    // One command; the reply as text (a simple string, an integer, a bulk string, or
    // "ERR..."); arrays are not decoded ("*N"). Throws if Redis does not answer in 5 s.
    std::string command(const std::vector<std::string>& args);
    void stop();   // SIGKILL, waited for
    void start();  // again on the same port, empty
    // redis-server is installed. Where it must be (NETCHAT_REQUIRE_REDIS set, as scripts/test.sh
    // does after installing it), its absence fails the test instead of skipping it.
    static bool available();
    const std::string& log_path() const { return log_path_; }

  private:
    void wait_ready();
    std::uint16_t port_ = 0;
    std::vector<std::string> extra_;
    std::string log_path_;
    std::unique_ptr<ServerProcess> process_;
};

}  // namespace testing_support

// Skips the test without redis-server, or fails it where Redis is required.
#define NETCHAT_SKIP_WITHOUT_REDIS()                                                         \
    do {                                                                                     \
        if (::testing_support::RedisServer::available()) break;                              \
        if (std::getenv("NETCHAT_REQUIRE_REDIS")) FAIL() << "redis-server is not installed"; \
        GTEST_SKIP() << "redis-server is not installed";                                     \
    } while (false)
