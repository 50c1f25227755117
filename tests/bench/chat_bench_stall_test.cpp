// chat_bench must fail a run in which the server stopped serving: the server is frozen with
// SIGSTOP in the middle of the measured window, and chat_bench must exit 1, say "ok": false
// and name the stall. The same run left alone passes, so the rule is not just always failing.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "server_process.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

class ChatBenchStall : public ::testing::Test {
  protected:
    void SetUp() override {
        port_ = server_.wait_listening();
        ASSERT_NE(port_, 0) << "chat_server did not start";
    }
    void TearDown() override { server_.signal(SIGCONT); }  // never leave it frozen

    // Runs chat_bench with its progress lines (stderr) and summary (stdout) on one pipe. Once
    // it says "measuring", waits `freeze_after`, then stops the server for `freeze_for`
    // (zero: leaves it alone). Returns the exit status; `out` gets everything it printed.
    int run(std::vector<std::string> args, std::chrono::milliseconds freeze_after,
            std::chrono::milliseconds freeze_for, std::string& out) {
        args.insert(args.begin(), {"-c", "exec \"$0\" \"$@\" 2>&1", CHAT_BENCH_PATH});
        args.insert(args.end(), {"-p", std::to_string(port_), "--json"});
        ServerProcess bench("/bin/sh", args);
        while (auto line = bench.read_line(20s)) {
            out += *line + "\n";
            if (line->find("measuring for") == std::string::npos) continue;
            if (freeze_for.count() == 0) break;
            std::this_thread::sleep_for(freeze_after);
            server_.signal(SIGSTOP);
            std::this_thread::sleep_for(freeze_for);
            server_.signal(SIGCONT);
            break;
        }
        while (auto line = bench.read_line(30s)) out += *line + "\n";
        return bench.wait_exit(10s);
    }

    ServerProcess server_{
        CHAT_SERVER_PATH,
        {"--engine", "epoll", "--port", "0", "--rate-limit", "0", "--log-level", "warn"}};
    std::uint16_t port_ = 0;
};

const std::vector<std::string> kFanout = {"fanout", "-c", "30", "-k",       "3",  "-r",
                                          "1000",   "-d", "4",  "--warmup", "0.3"};

TEST_F(ChatBenchStall, UndisturbedOpenLoopFanoutPasses) {
    std::string out;
    EXPECT_EQ(run(kFanout, 0ms, 0ms, out), 0) << out;
    EXPECT_NE(out.find("\"ok\":true"), std::string::npos) << out;
    EXPECT_NE(out.find("\"delivered_share\":"), std::string::npos) << out;
}

TEST_F(ChatBenchStall, FanoutFailsAndNamesAStallInTheWindow) {
    std::string out;
    EXPECT_EQ(run(kFanout, 1000ms, 2000ms, out), 1) << out;
    EXPECT_NE(out.find("\"ok\":false"), std::string::npos) << out;
    EXPECT_NE(out.find("stall: no member got a message for"), std::string::npos) << out;
}

// Frozen from the middle of the window to past its end: most of what was offered arrives
// only in the drain, so the delivered share fails too.
TEST_F(ChatBenchStall, FanoutFailsWhenDeliveriesFallFarBelowTheOfferedLoad) {
    std::string out;
    EXPECT_EQ(run({"fanout", "-c", "30", "-k", "3", "-r", "1000", "-d", "3", "--warmup", "0.3"},
                  500ms, 3500ms, out),
              1)
        << out;
    EXPECT_NE(out.find("deliveries fell far below the offered load"), std::string::npos) << out;
    EXPECT_NE(out.find("stall: no member got a message for"), std::string::npos) << out;
}

TEST_F(ChatBenchStall, PingpongFailsAndNamesAStall) {
    std::string out;
    EXPECT_EQ(
        run({"pingpong", "-c", "10", "-D", "2", "-d", "4", "--warmup", "0.3"}, 1000ms, 2000ms, out),
        1)
        << out;
    EXPECT_NE(out.find("stall: no ECHO came back for"), std::string::npos) << out;
}

TEST_F(ChatBenchStall, ChurnFailsAndNamesBothStalls) {
    std::string out;
    EXPECT_EQ(run({"churn", "-c", "20", "-k", "2", "-r", "200", "--churners", "4", "-d", "4",
                   "--warmup", "0.3"},
                  1000ms, 2000ms, out),
              1)
        << out;
    EXPECT_NE(out.find("stall: no member got a message for"), std::string::npos) << out;
    EXPECT_NE(out.find("stall: no churning connection completed its cycle for"), std::string::npos)
        << out;
}

}  // namespace
