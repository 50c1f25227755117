// --listen given more than once: one "listening on" line per listener, the first as before, and
// every engine serving all of them, before and after a live switch to each other engine. Run
// on every engine of the platform (the Windows ones through Wine, CHAT_SERVER_CMD).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "netcore/socket_ops.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

struct Listening {
    std::string host;
    std::uint16_t port = 0;
    std::string engine;
};

// The next "listening on ADDR:PORT engine=NAME" line (the first is wait_listening()'s).
Listening next_listening(ServerProcess& server) {
    static const std::regex pattern(R"(^listening on (\S+):(\d+) engine=(\S+)$)");
    std::smatch m;
    const std::string line = server.read_line().value_or("");
    if (!std::regex_match(line, m, pattern)) {
        ADD_FAILURE() << "expected a second 'listening on' line, got: " << line;
        return {};
    }
    return {m[1], static_cast<std::uint16_t>(std::stoi(m[2])), m[3]};
}

class SeveralListeners : public ::testing::TestWithParam<std::string> {};

TEST_P(SeveralListeners, EveryEngineServesEachListenerAcrossLiveSwitches) {
    const std::string& home = GetParam();
    ServerProcess server(
        kServer, with_prefix({"--engine", home, "--listen", "127.0.0.1:0", "--listen", "[::1]:0"}));
    std::string engine;
    const std::uint16_t v4 = server.wait_listening(&engine);
    ASSERT_NE(v4, 0);
    EXPECT_EQ(engine, home);
    const Listening second = next_listening(server);
    ASSERT_EQ(second.host, "[::1]");
    ASSERT_NE(second.port, 0);
    EXPECT_EQ(second.engine, home);
    const std::uint16_t v6 = second.port;

    // One member on each listener, in one room.
    TestClient four(v4), six("::1", v6);
    four.login("four");
    six.login("six");
    four.join("r");
    six.join("r");
    four.expect<chat::RoomEvent>();
    int said = 0;
    const auto chat_across = [&](const std::string& where) {
        const std::string text = "on " + where + " #" + std::to_string(++said);
        four.send(chat::Say{"r", text});
        EXPECT_EQ(four.expect<chat::Message>().text, text) << where;
        EXPECT_EQ(six.expect<chat::Message>().text, text) << where;
    };
    chat_across(home);

    // Every other engine, then home again: newcomers on both listeners are served, and the
    // first two never notice.
    std::vector<std::string> route;
    for (const auto& e : engine_list())
        if (e != home) route.push_back(e);
    route.push_back(home);
    int n = 0;
    for (const std::string& next : route) {
        server.command("/engine " + next);
        ASSERT_EQ(server.read_line().value_or(""), "engine " + next);
        const std::string suffix = std::to_string(++n);
        TestClient late4(v4), late6("::1", v6);
        EXPECT_EQ(late4.login("l4_" + suffix).engine, next);
        EXPECT_EQ(late6.login("l6_" + suffix).engine, next);
        chat_across(next);
    }

    server.signal(kStopSignal);
    EXPECT_EQ(four.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(six.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(server.wait_exit(), 0);
}

INSTANTIATE_TEST_SUITE_P(EveryEngine, SeveralListeners, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

TEST(SeveralListenersSettings, AreCheckedEachAndCounted) {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    for (const Case& c : {
             Case{{"--listen", "127.0.0.1:0", "--listen", "[::1"},
                  "--listen [::1: '[::1' has no closing ']'"},
             Case{{"--listen",
                   "127.0.0.1:0,127.0.0.2:0,127.0.0.3:0,127.0.0.4:0,127.0.0.5:0,"
                   "127.0.0.6:0,127.0.0.7:0,127.0.0.8:0,127.0.0.9:0"},
                  "--listen: at most 8 addresses (9 given)"},
         }) {
        std::string output;
        EXPECT_EQ(run_capture(kServer, with_prefix(c.args), output), 2) << output;
        EXPECT_NE(output.find(c.says), std::string::npos) << output;
    }
    // A second address already taken: refused at start, naming it (exit status 1).
    const netcore::socket_t taken = netcore::listen_tcp("127.0.0.1", 0);
    const std::string busy = "127.0.0.1:" + std::to_string(netcore::local_port(taken));
    std::string output;
    EXPECT_EQ(
        run_capture(kServer, with_prefix({"--listen", "127.0.0.1:0", "--listen", busy}), output), 1)
        << output;
    EXPECT_NE(output.find("cannot listen on " + busy), std::string::npos) << output;
    netcore::close_socket(taken);
}

// Several listeners from the environment (a comma-separated list) and from the config file (a
// TOML array), as --check-config shows them.
TEST(SeveralListenersSettings, ComeFromTheEnvironmentAndTheConfigFile) {
    std::string output;
    EXPECT_EQ(run_capture(kServer, with_prefix({"--check-config"}), output,
                          {"NETCHAT_LISTEN=127.0.0.1:0,[::1]:0"}),
              0)
        << output;
    EXPECT_NE(output.find(R"(listen = ["127.0.0.1:0", "[::1]:0"])"), std::string::npos) << output;
    EXPECT_NE(output.find("# environment NETCHAT_LISTEN"), std::string::npos) << output;

    const std::string path = testing::TempDir() + "listen_array.toml";
    std::ofstream(path) << "listen = [\"127.0.0.1:0\", \"[::1]:0\"]\n";
    EXPECT_EQ(run_capture(kServer, with_prefix({"--check-config", "--config", path}), output), 0)
        << output;
    EXPECT_NE(output.find(R"(listen = ["127.0.0.1:0", "[::1]:0"])"), std::string::npos) << output;
    std::remove(path.c_str());
}

}  // namespace
