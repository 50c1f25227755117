// --metrics as a monitoring system meets it: scraped over HTTP by a real client (curl), the
// text checked against Prometheus' exposition format, the numbers following real traffic, and
// /health answering 200 while an engine serves and 503 while the server shuts down.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

struct HttpAnswer {
    int status = 0;
    std::string content_type;
    std::string body;
};

// GET with curl: the status code, the Content-Type and the body.
HttpAnswer get(const std::string& url) {
    std::string out;
    const int rc = run_capture(
        "curl",
        {"-sS", "--max-time", "5", "-o", "-", "-w", "\n@@%{http_code} %{content_type}", url}, out);
    HttpAnswer a;
    const auto mark = out.rfind("\n@@");
    if (rc != 0 || mark == std::string::npos) {
        a.body = out;
        return a;
    }
    a.body = out.substr(0, mark);
    std::istringstream tail(out.substr(mark + 3));
    tail >> a.status;
    std::getline(tail >> std::ws, a.content_type);
    return a;
}

// Checks every line against the text exposition format (0.0.4): "# HELP name text",
// "# TYPE name type" before the family's samples, and samples `name{label="v",...} value`,
// every name netchat_*. Returns the samples by their full name with labels.
std::map<std::string, double> parse_exposition(const std::string& text) {
    static const std::regex help(R"(^# HELP (netchat_[a-z_]+) \S.*$)");
    static const std::regex type(R"(^# TYPE (netchat_[a-z_]+) (counter|gauge|histogram)$)");
    static const std::regex sample(
        R"(^(netchat_[a-z_]+)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|\+Inf)$)");
    std::map<std::string, double> samples;
    std::map<std::string, std::string> types;
    std::istringstream in(text);
    std::smatch m;
    for (std::string line; std::getline(in, line);) {
        if (std::regex_match(line, m, help)) continue;
        if (std::regex_match(line, m, type)) {
            types[m[1]] = m[2];
            continue;
        }
        EXPECT_TRUE(std::regex_match(line, m, sample)) << "not in the exposition format: " << line;
        if (m.empty()) continue;
        std::string family = m[1];
        for (const char* suffix : {"_bucket", "_sum", "_count"})
            if (!types.count(family) && family.size() > std::strlen(suffix) &&
                family.ends_with(suffix))
                family.resize(family.size() - std::strlen(suffix));
        EXPECT_TRUE(types.count(family)) << "a sample before its # TYPE: " << line;
        samples[std::string(m[1]) + std::string(m[2])] = std::stod(m[4]);
    }
    return samples;
}

struct MetricsServer {
    ServerProcess process;
    std::uint16_t port = 0;
    std::string base;  // "http://127.0.0.1:PORT"

    explicit MetricsServer(const std::vector<std::string>& extra, const std::string& where)
        : process(kServer, with_prefix(args(extra, where))) {
        port = process.wait_listening();
        static const std::regex line(R"(^metrics on (http://\S+)/metrics$)");
        std::smatch m;
        const std::string text = process.read_line().value_or("");
        if (std::regex_match(text, m, line)) base = m[1];
        EXPECT_FALSE(base.empty()) << "no 'metrics on' line: " << text;
    }
    static std::vector<std::string> args(std::vector<std::string> extra, const std::string& where) {
        extra.insert(extra.end(), {"--port", "0", "--metrics", where});
        return extra;
    }
};

class MetricsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (kForeign) GTEST_SKIP() << "not in the Windows build (see MetricsWindows)";
    }
};

TEST_F(MetricsTest, ScrapeIsPrometheusTextThatFollowsTheTraffic) {
    const auto engines = engine_list();
    MetricsServer server({"--engine", engines.front(), "--password", "pw"}, "127.0.0.1:0");
    ASSERT_NE(server.port, 0);

    HttpAnswer a = get(server.base + "/metrics");
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
    auto before = parse_exposition(a.body);
    for (const char* text :
         {"# HELP netchat_sessions ", "# TYPE netchat_sessions gauge",
          "# TYPE netchat_frames_received_total counter", "# TYPE netchat_bytes_sent_total counter",
          "# TYPE netchat_send_queue_bytes gauge",
          "# TYPE netchat_engine_switch_duration_seconds histogram",
          "netchat_refused_connections_total{reason=\"server_full\"} 0",
          "netchat_engine_switch_duration_seconds_bucket{le=\"0.001\"} 0",
          "netchat_engine_switch_duration_seconds_bucket{le=\"+Inf\"} 0"})
        EXPECT_TRUE(contains(a.body, text)) << text << " not in:\n" << a.body;
    EXPECT_EQ(before["netchat_sessions"], 0);
    EXPECT_EQ(before["netchat_engine_running{engine=\"" + engines.front() + "\"}"], 1);

    // Traffic: two sessions, a room, messages, a wrong password, a switch to every engine.
    TestClient ada(server.port), bob(server.port);
    ada.login("ada", "pw");
    bob.login("bob", "pw");
    ada.join("lobby");
    bob.join("lobby");
    ada.expect<chat::RoomEvent>();
    for (int i = 0; i < 10; ++i) ada.send(chat::Say{"lobby", "m" + std::to_string(i)});
    for (int i = 0; i < 10; ++i) bob.expect<chat::Message>(), ada.expect<chat::Message>();
    TestClient wrong(server.port);
    wrong.send(chat::Hello{chat::kProtocolVersion, "eve", "guess"});
    wrong.expect_error(chat::ErrorCode::BadPassword);
    std::vector<std::string> visited;
    for (std::size_t i = 1; i <= engines.size(); ++i) {
        const std::string& next = engines[i % engines.size()];
        server.process.command("/engine " + next);
        ASSERT_EQ(server.process.read_line().value_or(""), "engine " + next);
        ada.send(chat::Ping{i});
        ASSERT_EQ(ada.expect<chat::Pong>().token, i);
    }

    a = get(server.base + "/metrics");
    ASSERT_EQ(a.status, 200);
    auto after = parse_exposition(a.body);
    EXPECT_EQ(after["netchat_sessions"], 3) << a.body;  // ada, bob, eve still connected
    EXPECT_EQ(after["netchat_rooms"], 1);
    EXPECT_GE(after["netchat_frames_received_total"], before["netchat_frames_received_total"] + 16);
    EXPECT_GE(after["netchat_frames_sent_total"], before["netchat_frames_sent_total"] + 20);
    EXPECT_GT(after["netchat_bytes_received_total"], before["netchat_bytes_received_total"]);
    EXPECT_GT(after["netchat_bytes_sent_total"], before["netchat_bytes_sent_total"]);
    EXPECT_EQ(after["netchat_bad_passwords_total"], 1);
    EXPECT_GE(after["netchat_history_messages"], 10);
    EXPECT_EQ(after["netchat_engine_switch_duration_seconds_count"], engines.size());
    EXPECT_GT(after["netchat_engine_switch_duration_seconds_sum"], 0);
    EXPECT_EQ(after["netchat_engine_running{engine=\"" + engines.front() + "\"}"], 1);
    for (std::size_t i = 1; i <= engines.size(); ++i) {
        const std::string& from = engines[i - 1];
        const std::string& to = engines[i % engines.size()];
        EXPECT_EQ(after["netchat_engine_switches_total{from=\"" + from + "\",result=\"ok\",to=\"" +
                        to + "\"}"],
                  1)
            << from << " -> " << to << "\n"
            << a.body;
        // Every engine served, so each has a run's counters, kept after it stopped.
        EXPECT_GT(after["netchat_engine_wakeups_total{engine=\"" + from + "\"}"], 0) << from;
        EXPECT_GT(after["netchat_engine_syscalls_total{engine=\"" + from + "\"}"], 0) << from;
    }
    // Counters never go back, across switches too.
    for (const auto& [name, value] : before) {
        if (name.find("_total") == std::string::npos) continue;
        EXPECT_GE(after[name], value) << name;
    }

    server.process.signal(kStopSignal);
    EXPECT_EQ(server.process.wait_exit(), 0);
}

TEST_F(MetricsTest, HealthIs200WhileServingAnd503WhileShuttingDown) {
    MetricsServer server({}, "[::1]:0");
    ASSERT_NE(server.port, 0);
    EXPECT_TRUE(server.base.starts_with("http://[::1]:")) << server.base;
    HttpAnswer a = get(server.base + "/health");
    EXPECT_EQ(a.status, 200);
    EXPECT_TRUE(a.body.starts_with("ok engine=")) << a.body;
    a = get(server.base + "/nothing");
    EXPECT_EQ(a.status, 404);
    EXPECT_TRUE(contains(a.body, "try /metrics or /health")) << a.body;

    // A client that ignores BYE keeps the shutdown in its grace for a while: /health says so.
    TestClient stubborn(server.port);
    stubborn.login("stubborn");
    server.process.signal(kStopSignal);
    a = {};
    for (int i = 0; i < 40 && a.status != 503; ++i) {
        a = get(server.base + "/health");
        std::this_thread::sleep_for(25ms);
    }
    EXPECT_EQ(a.status, 503);
    EXPECT_EQ(a.body, "unavailable: shutting down\n");
    EXPECT_EQ(server.process.wait_exit(), 0);
}

TEST_F(MetricsTest, BadAddressesAreRefusedAtStart) {
    struct Case {
        std::string where, says;
        int status;
    };
    // One that is taken: this server's own metrics port.
    MetricsServer taken({}, "127.0.0.1:0");
    const std::string busy = taken.base.substr(std::string("http://").size());
    for (const Case& c :
         {Case{"127.0.0.1", "--metrics 127.0.0.1: give the port too (ADDR:PORT, [IPV6]:PORT)", 2},
          Case{"[::1", "--metrics [::1: '[::1' has no closing ']'", 2},
          Case{"127.0.0.1:70000", "the port 70000 is outside 0..65535", 2},
          Case{busy, "--metrics " + busy + ": cannot listen there", 1}}) {
        std::string output;
        EXPECT_EQ(run_capture(kServer, with_prefix({"--port", "0", "--metrics", c.where}), output),
                  c.status)
            << c.where << ": " << output;
        EXPECT_TRUE(contains(output, c.says)) << c.where << ": " << output;
    }
    taken.process.signal(kStopSignal);
    EXPECT_EQ(taken.process.wait_exit(), 0);
}

TEST(MetricsWindows, IsRefusedAsNotInTheBuild) {
    if (!kForeign) GTEST_SKIP() << "the Windows build's answer (run with CHAT_SERVER_CMD)";
    std::string output;
    EXPECT_EQ(
        run_capture(kServer, with_prefix({"--port", "0", "--metrics", "127.0.0.1:9464"}), output),
        2);
    EXPECT_TRUE(contains(output, "--metrics 127.0.0.1:9464: not in this build")) << output;
}

}  // namespace
