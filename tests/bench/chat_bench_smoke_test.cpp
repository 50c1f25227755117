// chat_bench against a real chat_server on epoll, about a second per scenario: the summary
// must show traffic and an unbroken seq run. Catches a load generator that silently
// measures nothing before a long benchmark session does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "server_process.hpp"

using namespace testing_support;

namespace {

// A number from chat_bench's --json summary ("key":value), NaN when absent.
double json_number(const std::string& json, const std::string& key) {
    const std::string needle = "\"" + key + "\":";
    const auto at = json.find(needle);
    if (at == std::string::npos) return std::nan("");
    return std::strtod(json.c_str() + at + needle.size(), nullptr);
}

class ChatBenchSmoke : public ::testing::Test {
  protected:
    void SetUp() override {
        port_ = server_.wait_listening();
        ASSERT_NE(port_, 0) << "chat_server did not start";
    }
    int bench(std::vector<std::string> args, std::string& out) {
        args.insert(args.end(), {"-p", std::to_string(port_), "--json", "-q"});
        return run_capture(CHAT_BENCH_PATH, args, out);
    }

    ServerProcess server_{
        CHAT_SERVER_PATH,
        {"--engine", "epoll", "--port", "0", "--rate-limit", "0", "--log-level", "warn"}};
    std::uint16_t port_ = 0;
};

TEST_F(ChatBenchSmoke, PingpongEchoesFrames) {
    std::string out;
    ASSERT_EQ(bench({"pingpong", "-c", "20", "-D", "4", "-d", "1", "--warmup", "0.2"}, out), 0)
        << out;
    EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '{'), std::count(out.begin(), out.end(), '}'))
        << "unbalanced JSON: " << out;
    EXPECT_GT(json_number(out, "frames_per_s"), 0) << out;
    EXPECT_GT(json_number(out, "latency_p99_us"), 0) << out;
    EXPECT_EQ(json_number(out, "errors"), 0) << out;
}

TEST_F(ChatBenchSmoke, FanoutDeliversEverySeqOnceInOrder) {
    std::string out;
    ASSERT_EQ(bench({"fanout", "-c", "50", "-k", "5", "-d", "1", "--warmup", "0.2"}, out), 0)
        << out;
    EXPECT_GT(json_number(out, "deliveries_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "gaps"), 0) << out;
    EXPECT_EQ(json_number(out, "duplicates"), 0) << out;
    EXPECT_EQ(json_number(out, "incomplete_members"), 0) << out;
}

TEST_F(ChatBenchSmoke, ChurnCyclesConnectionsWhileOthersChat) {
    std::string out;
    ASSERT_EQ(bench({"churn", "-d", "1", "--warmup", "0.2"}, out), 0) << out;
    EXPECT_GT(json_number(out, "churn_per_s"), 0) << out;
    EXPECT_GT(json_number(out, "deliveries_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "churn_failures"), 0) << out;
    EXPECT_EQ(json_number(out, "gaps"), 0) << out;
}

TEST_F(ChatBenchSmoke, ConnectHoldsSessionsAndReportsServerMemory) {
    std::string out;
    ASSERT_EQ(bench({"connect", "-n", "300", "--hold", "0.3", "--server-pid",
                     std::to_string(server_.pid())},
                    out),
              0)
        << out;
    EXPECT_EQ(json_number(out, "welcomed"), 300) << out;
    EXPECT_GT(json_number(out, "connects_per_s"), 0) << out;
    EXPECT_GT(json_number(out, "server_rss_per_session_b"), 0) << out;
}

// A reconnect storm: every member drops, stays away while the talkers go on, and resumes
// with nothing missed or repeated.
TEST_F(ChatBenchSmoke, ResumeStormCatchesEveryMemberUpWithNothingMissed) {
    std::string out;
    ASSERT_EQ(bench({"resume", "-c", "60", "-k", "3", "-r", "300", "--away", "0.5", "-d", "0.5",
                     "--warmup", "0.3", "--server-pid", std::to_string(server_.pid())},
                    out),
              0)
        << out;
    EXPECT_EQ(json_number(out, "members"), 60) << out;
    EXPECT_GT(json_number(out, "said_while_away"), 50) << out;
    // Most of what was said while away is replayed (the rest, still on its way to the server
    // when the members came back, arrives live).
    EXPECT_GT(json_number(out, "replayed_avg"), json_number(out, "said_while_away") / 2) << out;
    EXPECT_GT(json_number(out, "catch_up_all_ms"), 0) << out;
    EXPECT_GE(json_number(out, "storm_server_cpu_ms"), 0) << out;
}

// The same storm against a server that keeps fewer messages than were missed must fail: the
// check can tell.
TEST(ChatBenchResume, FailsWhenTheHistoryCannotCoverTheAbsence) {
    ServerProcess server(CHAT_SERVER_PATH, {"--port", "0", "--rate-limit", "0", "--history", "20",
                                            "--log-level", "warn"});
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    std::string out;
    EXPECT_EQ(run_capture(CHAT_BENCH_PATH,
                          {"resume", "-c", "10", "-k", "2", "-r", "300", "--away", "0.5", "-d",
                           "0.3", "--warmup", "0.2", "-p", std::to_string(port), "--json", "-q"},
                          out),
              1)
        << out;
    EXPECT_NE(out.find("did not continue where the member left off"), std::string::npos) << out;
}

// The blocking engine calls the handler from a thread per connection, at the same time:
// chat_bench must keep nothing per worker that two connections could share.
TEST_F(ChatBenchSmoke, PingpongOnAThreadPerConnectionLoadEngine) {
    std::string out;
    ASSERT_EQ(bench({"pingpong", "-c", "30", "-D", "4", "-d", "0.7", "--warmup", "0.1", "--engine",
                     "blocking"},
                    out),
              0)
        << out;
    EXPECT_GT(json_number(out, "frames_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "errors"), 0) << out;
}

TEST_F(ChatBenchSmoke, SaysClearlyWhenNoServerListens) {
    std::string out;
    EXPECT_EQ(run_capture(CHAT_BENCH_PATH, {"pingpong", "-p", "1", "-d", "1"}, out), 2);
    EXPECT_NE(out.find("is the server running?"), std::string::npos) << out;
}

}  // namespace
