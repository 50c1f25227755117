// The audit log as an operator reads it: --log-file holds, at info, every connect, login, logout,
// wrong password, refusal (with its reason) and protocol error, each with the peer's address and
// the session id; never a password, and message text only at trace.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

bool has_line(const std::string& text, const std::string& pattern) {
    return std::regex_search(text, std::regex(pattern));
}

// Runs a server with `extra` options and a --log-file, plays every kind of event on it, and
// returns the log file's text. `ids` receives the session ids of the two logged-in clients.
std::string play_events(const std::string& name, std::vector<std::string> extra,
                        std::uint32_t ids[2]) {
    const std::string log = ::testing::TempDir() + name;
    std::remove(log.c_str());
    std::vector<std::string> args = {"--port",         "0",      "--password-file", "",
                                     "--max-sessions", "4",      "--log-file",      log,
                                     "--log-max-size", "128KiB", "--log-max-files", "2"};
    const std::string password_file = ::testing::TempDir() + name + ".password";
    std::ofstream(password_file) << "open-sesame\n";
    ::chmod(password_file.c_str(), 0600);
    args[3] = password_file;
    args.insert(args.end(), extra.begin(), extra.end());
    ServerProcess server(kServer, with_prefix(args));
    const std::uint16_t port = server.wait_listening();
    EXPECT_NE(port, 0);
    {
        TestClient ada(port), bob(port), wrong(port), rude(port);
        ids[0] = ada.login("ada", "open-sesame").session_id;
        ids[1] = bob.login("bob", "open-sesame").session_id;
        wrong.send(chat::Hello{chat::kProtocolVersion, "eve", "guess-one"});
        wrong.expect_error(chat::ErrorCode::BadPassword);
        rude.send_raw(std::string("\x04\x00\x77\x77", 4));  // size 4 (LE), an unknown type
        rude.expect_error(chat::ErrorCode::UnknownType);
        TestClient full(port);  // the fifth: refused
        full.expect_error(chat::ErrorCode::ServerFull);
        EXPECT_TRUE(full.wait_closed());
        wrong.send(chat::Hello{chat::kProtocolVersion, "ada", "open-sesame"});  // taken
        wrong.expect_error(chat::ErrorCode::NickTaken);
        ada.join("lobby");
        ada.send(chat::Say{"lobby", "the-secret-plan"});
        ada.expect<chat::Message>();
    }
    std::this_thread::sleep_for(200ms);  // the server sees them go
    server.command("/quit");
    EXPECT_EQ(server.wait_exit(), 0);
    return file_text(log);
}

TEST(AuditLog, EveryEventIsInTheLogFileWithPeerAndSessionAndNoSecret) {
    if (kForeign) GTEST_SKIP() << "the log file's path is this machine's";
    std::uint32_t ids[2];
    const std::string text = play_events("audit_info.log", {}, ids);
    const std::string ada = std::to_string(ids[0]), bob = std::to_string(ids[1]);
    EXPECT_TRUE(has_line(text, "\\[info\\] connect 127\\.0\\.0\\.1:\\d+ session " + ada)) << text;
    EXPECT_TRUE(has_line(text, "\\[info\\] login 127\\.0\\.0\\.1 session " + ada + " nick ada"))
        << text;
    EXPECT_TRUE(has_line(text, "\\[info\\] login 127\\.0\\.0\\.1 session " + bob + " nick bob"))
        << text;
    EXPECT_TRUE(has_line(text, "wrong password from 127\\.0\\.0\\.1 \\(session \\d+")) << text;
    EXPECT_TRUE(has_line(text, "login refused 127\\.0\\.0\\.1 session \\d+ \\(nick_taken\\)"))
        << text;
    EXPECT_TRUE(has_line(text, "protocol error 127\\.0\\.0\\.1 session \\d+ \\(unknown_type\\)"))
        << text;
    EXPECT_TRUE(has_line(text, "refused 127\\.0\\.0\\.1:\\d+ session \\d+ \\(server full\\)"))
        << text;
    EXPECT_TRUE(
        has_line(text, "\\[info\\] logout 127\\.0\\.0\\.1:\\d+ session " + ada + " nick ada"))
        << text;
    EXPECT_TRUE(has_line(text, "disconnect 127\\.0\\.0\\.1:\\d+ session \\d+ before login"))
        << text;
    for (const char* secret : {"open-sesame", "guess-one", "the-secret-plan"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in the log:\n" << text;
}

TEST(AuditLog, MessageTextOnlyAtTraceAndThePasswordNever) {
    if (kForeign) GTEST_SKIP() << "the log file's path is this machine's";
    std::uint32_t ids[2];
    const std::string text = play_events("audit_trace.log", {"--log-level", "trace"}, ids);
    EXPECT_TRUE(has_line(text, "\\[trace\\] say session " + std::to_string(ids[0]) +
                                   " nick ada room lobby: the-secret-plan"))
        << text;
    for (const char* secret : {"open-sesame", "guess-one"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in the log:\n" << text;
}

// A hostile client cannot flood the log: protocol errors are logged at most 5 a second per
// address, and what was held back is told in one line per address, with the count.
TEST(AuditLog, ProtocolErrorsAreThrottledPerAddressWithTheSuppressedCount) {
    if (kForeign) GTEST_SKIP() << "the log file's path is this machine's";
    const std::string log = ::testing::TempDir() + "audit_flood.log";
    std::remove(log.c_str());
    ServerProcess server(kServer, with_prefix({"--port", "0", "--log-file", log}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    constexpr int kFlood = 300;
    {
        TestClient hostile(port);
        std::string flood;
        for (int i = 0; i < kFlood; ++i) flood += std::string("\x04\x00\x77\x77", 4);
        hostile.send_raw(flood);  // 300 frames of an unknown type: each answered, none fatal
        for (int i = 0; i < kFlood; ++i) hostile.expect_error(chat::ErrorCode::UnknownType);
        hostile.send(chat::Ping{1});
        EXPECT_EQ(hostile.expect<chat::Pong>().token, 1u);
    }
    // The held-back count is told once the address' second is over (the next sweep).
    static const std::regex summary(
        R"(protocol errors from 127\.0\.0\.1: (\d+) more suppressed \(at most 5 lines a second per address\))");
    std::string text;
    for (int i = 0; i < 60 && !std::regex_search(text, summary); ++i) {
        std::this_thread::sleep_for(50ms);
        text = file_text(log);
    }
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
    text = file_text(log);
    std::size_t written = 0, suppressed = 0;
    for (std::size_t at = 0;
         (at = text.find("] protocol error 127.0.0.1 session", at)) != std::string::npos; ++at)
        ++written;
    for (std::sregex_iterator it(text.begin(), text.end(), summary), end; it != end; ++it)
        suppressed += std::stoul((*it)[1]);
    EXPECT_GE(written, 5u) << text;
    EXPECT_LE(written, 15u) << "the flood reached the log:\n" << text;
    EXPECT_EQ(written + suppressed, static_cast<std::size_t>(kFlood)) << text;
}

TEST(AuditLog, AnUnwritableLogFileIsAClearErrorAtStart) {
    if (kForeign) GTEST_SKIP() << "the log file's path is this machine's";
    std::string output;
    EXPECT_EQ(
        run_capture(kServer, with_prefix({"--port", "0", "--log-file", "/nonexistent-dir/x.log"}),
                    output),
        2);
    EXPECT_NE(output.find("--log-file /nonexistent-dir/x.log: cannot open it"), std::string::npos)
        << output;
}

}  // namespace
