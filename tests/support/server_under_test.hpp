// The chat service on a netcore server in this process, on a free loopback port.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "chat/service.hpp"
#include "netcore/server.hpp"

namespace testing_support {

inline chat::ServiceConfig test_service_config() {
    chat::ServiceConfig c;
    c.rate_limit = 0;  // tests flood on purpose
    return c;
}

inline netcore::ServerOptions test_server_options() {
    netcore::ServerOptions o;
    o.port = 0;
    return o;
}

class ServerUnderTest {
  public:
    explicit ServerUnderTest(const std::string& engine,
                             chat::ServiceConfig config = test_service_config(),
                             netcore::ServerOptions options = test_server_options())
        : service(std::move(config)), server(service, std::move(options)) {
        service.set_engine_name_source([this] { return server.engine_name(); });
        server.start(engine);
    }
    ~ServerUnderTest() { server.stop(); }

    std::uint16_t port() const { return server.port(); }

    // Polls `done` until true or the timeout passes.
    static bool eventually(const std::function<bool()>& done,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return true;
    }

    chat::ChatService service;
    netcore::Server server;
};

}  // namespace testing_support
