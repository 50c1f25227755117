// chat_server under a descriptor limit too small for --max-sessions (`ulimit -n 64` and the
// default 10,000 sessions): a warning at start, and every connection past what fits gets
// ERROR server_full, logged, rather than a reset; the server serves on once some leave.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

class DescriptorLimit : public ::testing::TestWithParam<std::string> {};

TEST_P(DescriptorLimit, IsWarnedAboutAtStartAndExhaustionRefusesWithServerFull) {
    if (kForeign) GTEST_SKIP() << "Windows has no per-process descriptor limit to set";
    const std::string log = ::testing::TempDir() + "netchat_fd_limit_" + GetParam() + ".log";
    SpawnOptions options;
    options.stderr_path = log;
    options.max_descriptors = 64;
    ServerProcess server(kServer, with_prefix({"--engine", GetParam(), "--port", "0"}), options);
    const auto port = server.wait_listening();
    ASSERT_NE(port, 0) << file_text(log);
    EXPECT_TRUE(contains(file_text(log), "the descriptor limit 64")) << file_text(log);
    EXPECT_TRUE(contains(file_text(log), "fewer than --max-sessions 10000")) << file_text(log);

    // More connections than 64 descriptors hold: each is either welcomed or told server_full.
    std::vector<TestClient> clients;
    int welcomed = 0, full = 0;
    for (int i = 0; i < 80; ++i) {
        TestClient c(port);
        c.send(chat::Hello{chat::kProtocolVersion, "n" + std::to_string(i), ""});
        const chat::AnyMessage reply = c.read();  // throws on a reset or EOF without a frame
        if (std::holds_alternative<chat::Welcome>(reply)) {
            ++welcomed;
            clients.push_back(std::move(c));
        } else {
            const auto* error = std::get_if<chat::Error>(&reply);
            ASSERT_NE(error, nullptr) << TestClient::describe(reply);
            EXPECT_EQ(error->code, chat::ErrorCode::ServerFull) << error->detail;
            ++full;
        }
    }
    EXPECT_GT(welcomed, 40);
    EXPECT_GT(full, 0);
    EXPECT_TRUE(contains(file_text(log), "out of file descriptors")) << file_text(log);

    // Room again once some leave.
    for (int i = 0; i < 10; ++i) clients.pop_back();
    bool in = false;
    for (int attempt = 0; attempt < 50 && !in; ++attempt) {
        TestClient c(port);
        c.send(chat::Hello{chat::kProtocolVersion, "late", ""});
        in = std::holds_alternative<chat::Welcome>(c.read());
        if (!in) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(in) << "nobody gets in after ten left";
}

INSTANTIATE_TEST_SUITE_P(EveryEngine, DescriptorLimit, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

}  // namespace
