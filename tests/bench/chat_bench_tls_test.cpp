// chat_bench --tls against a real chat_server on a TLS listener (the test CA's certificate,
// tests/data/tls), about a second per scenario: every scenario that runs over TLS shows traffic
// and an unbroken seq run, a certificate it cannot check fails the run with the reason, and the
// scenario that cannot do TLS says so.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "server_process.hpp"

using namespace testing_support;

namespace {

std::string data(const std::string& name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}

double json_number(const std::string& json, const std::string& key) {
    const std::string needle = "\"" + key + "\":";
    const auto at = json.find(needle);
    if (at == std::string::npos) return std::nan("");
    return std::strtod(json.c_str() + at + needle.size(), nullptr);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class ChatBenchTls : public ::testing::Test {
  protected:
    void SetUp() override {
        port_ = server_.wait_listening();
        ASSERT_NE(port_, 0) << "chat_server did not start over TLS";
    }
    int bench(std::vector<std::string> args, std::string& out,
              const std::vector<std::string>& tls = {"--tls", "--ca", data("ca.pem")}) {
        args.insert(args.end(), tls.begin(), tls.end());
        args.insert(args.end(),
                    {"--host", "localhost", "-p", std::to_string(port_), "--json", "-q"});
        return run_capture(CHAT_BENCH_PATH, args, out);
    }

    ServerProcess server_{
        CHAT_SERVER_PATH,
        {"--engine", "epoll", "--port", "0", "--rate-limit", "0", "--log-level", "warn",
         "--tls-cert", data("server.pem"), "--tls-key", data("server.key")}};
    std::uint16_t port_ = 0;
};

TEST_F(ChatBenchTls, PingpongOverTls) {
    std::string out;
    ASSERT_EQ(bench({"pingpong", "-c", "20", "-D", "4", "-d", "1", "--warmup", "0.2"}, out), 0)
        << out;
    EXPECT_GT(json_number(out, "frames_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "errors"), 0) << out;
    EXPECT_TRUE(contains(out, "certificate checked")) << "the report names the transport: " << out;
}

TEST_F(ChatBenchTls, FanoutOverTlsDeliversEverySeqOnceInOrder) {
    std::string out;
    ASSERT_EQ(bench({"fanout", "-c", "30", "-k", "3", "-d", "1", "--warmup", "0.2"}, out), 0)
        << out;
    EXPECT_GT(json_number(out, "deliveries_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "gaps"), 0) << out;
    EXPECT_EQ(json_number(out, "duplicates"), 0) << out;
}

TEST_F(ChatBenchTls, ChurnAndConnectOverTls) {
    std::string out;
    ASSERT_EQ(
        bench({"churn", "-c", "10", "-k", "2", "--churners", "4", "-d", "1", "--warmup", "0.2"},
              out),
        0)
        << out;
    EXPECT_GT(json_number(out, "churn_per_s"), 0) << out;
    EXPECT_EQ(json_number(out, "churn_failures"), 0) << out;
    ASSERT_EQ(bench({"connect", "-n", "100", "--hold", "0.2"}, out), 0) << out;
    EXPECT_EQ(json_number(out, "welcomed"), 100) << out;
}

TEST_F(ChatBenchTls, ACertificateItCannotCheckFailsTheRun) {
    std::string out;
    // The system's trust store does not know the test CA: nobody is welcomed.
    EXPECT_NE(bench({"connect", "-n", "5", "--hold", "0.1"}, out, {"--tls"}), 0) << out;
    EXPECT_EQ(json_number(out, "welcomed"), 0) << out;
    // --insecure checks nothing, and says so.
    ASSERT_EQ(bench({"connect", "-n", "5", "--hold", "0.1"}, out, {"--tls", "--insecure"}), 0)
        << out;
    EXPECT_TRUE(contains(out, "certificate not checked")) << out;
}

TEST_F(ChatBenchTls, ResumeSaysItHasNoTls) {
    std::string out;
    EXPECT_NE(bench({"resume", "-c", "2", "-d", "0.2"}, out), 0);
    EXPECT_TRUE(contains(out, "resume speaks plaintext only")) << out;
    EXPECT_NE(run_capture(CHAT_BENCH_PATH, {"pingpong", "--insecure", "-p", "1"}, out), 0);
    EXPECT_TRUE(contains(out, "--ca and --insecure go with --tls")) << out;
}

}  // namespace
