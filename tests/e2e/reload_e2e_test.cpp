// Reloading as an operator does it: edit the config file (and the password file), send SIGHUP
// (or type /rehash), and read the log. A changed password drops nobody: who is logged in stays,
// the next login needs the new one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), 0600);
}

// Waits (at most 5 s) until the file holds `needle`.
bool wait_for_text(const std::string& path, const std::string& needle) {
    for (int i = 0; i < 100; ++i) {
        if (file_text(path).find(needle) != std::string::npos) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

struct ReloadSetup {
    std::string dir = ::testing::TempDir();
    std::string config, password_file, log;
    explicit ReloadSetup(const std::string& name)
        : config(dir + name + ".toml"),
          password_file(dir + name + ".password"),
          log(dir + name + ".log") {
        std::remove(log.c_str());
        write_file(password_file, "old-secret\n");
        write_config("before", 100);
    }
    void write_config(const std::string& server_name, int rate) {
        write_file(config, "password-file = \"" + password_file + "\"\nname = \"" + server_name +
                               "\"\nrate-limit = " + std::to_string(rate) + "\nlog-file = \"" +
                               log + "\"\n");
    }
};

// Connected and logged in with the old password, then the password, name and rate limit change
// and `reload` is called; checks that nobody was dropped and the new settings rule new logins.
void check_reload(const std::function<void(ServerProcess&)>& reload, const std::string& name) {
    ReloadSetup setup(name);
    ServerProcess server(kServer, with_prefix({"--port", "0", "--config", setup.config}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient ada(port);
    EXPECT_EQ(ada.login("ada", "old-secret").server_name, "before");
    ada.join("lobby");

    write_file(setup.password_file, "new-secret\n");
    setup.write_config("after", 5);
    reload(server);
    ASSERT_TRUE(wait_for_text(setup.log, "reload: rate-limit")) << file_text(setup.log);

    // ada is still there and still served.
    ada.send(chat::Ping{42});
    EXPECT_EQ(ada.expect<chat::Pong>().token, 42u);
    ada.send(chat::Say{"lobby", "still here"});
    EXPECT_EQ(ada.expect<chat::Message>().text, "still here");

    TestClient old_password(port);
    old_password.send(chat::Hello{chat::kProtocolVersion, "bob", "old-secret"});
    old_password.expect_error(chat::ErrorCode::BadPassword);
    TestClient new_password(port);
    EXPECT_EQ(new_password.login("cid", "new-secret").server_name, "after");

    server.command("/stats");
    std::string stats;
    for (int i = 0; i < 5 && stats.find("sessions=") == std::string::npos; ++i)
        stats = server.read_line().value_or("");
    EXPECT_NE(stats.find("sessions=3"), std::string::npos) << stats;  // ada, bob's try, cid

    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
    const std::string text = file_text(setup.log);
    EXPECT_NE(text.find("reload: password changed (logged-in sessions stay)"), std::string::npos)
        << text;
    EXPECT_NE(text.find("reload: name before -> after"), std::string::npos) << text;
    // ada logged out only in the shutdown, never at the reload.
    const auto ada_out = text.find(" nick ada: ");
    ASSERT_NE(ada_out, std::string::npos) << text;
    EXPECT_GT(ada_out, text.find("shutting down")) << text;
    for (const char* secret : {"old-secret", "new-secret"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in the log:\n" << text;
}

TEST(Reload, SighupRereadsTheConfigAndDropsNobody) {
    if (kForeign) GTEST_SKIP() << "SIGHUP is POSIX's";
    check_reload([](ServerProcess& server) { server.signal(SIGHUP); }, "reload_sighup");
}

TEST(Reload, RehashFromStdinDoesTheSame) {
    if (kForeign) GTEST_SKIP() << "the config file's path is this machine's";
    check_reload(
        [](ServerProcess& server) {
            server.command("/rehash");
            const auto answer = server.read_line().value_or("");
            EXPECT_NE(answer.find("reloaded: password changed"), std::string::npos) << answer;
        },
        "reload_rehash");
}

// The limits and timeouts change live: who is in stays, the new ones rule from then on; what the
// process cannot change (the listening address) is logged as waiting for a restart.
TEST(Reload, LimitsAndTimeoutsChangeLiveAndNobodyIsDropped) {
    if (kForeign) GTEST_SKIP() << "SIGHUP is POSIX's";
    const std::string dir = ::testing::TempDir();
    const std::string config = dir + "reload_limits.toml", log = dir + "reload_limits.log";
    std::remove(log.c_str());
    const std::string common = "log-file = \"" + log + "\"\n";
    write_file(config, common + "max-sessions = 10\nhandshake-timeout = 60\n");
    ServerProcess server(kServer, with_prefix({"--port", "0", "--config", config}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient ada(port), bob(port), silent(port);  // silent never says HELLO
    ada.login("ada");
    bob.login("bob");

    write_file(config, common +
                           "max-sessions = 3\nhandshake-timeout = 1\nmax-frame = 1024\n"
                           "max-send-queue = \"1MiB\"\nlisten = \"127.0.0.1:0\"\n");
    server.signal(SIGHUP);
    ASSERT_TRUE(wait_for_text(log, "reload: max-frame")) << file_text(log);

    // max-sessions 3: ada, bob and silent are in; the next is refused, naming the new limit.
    TestClient fourth(port);
    EXPECT_NE(fourth.expect_error(chat::ErrorCode::ServerFull)
                  .detail.find("3 sessions already (--max-sessions)"),
              std::string::npos);
    // handshake-timeout 1 s: silent, connected under the old 60 s, goes now.
    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(silent.expect_error(chat::ErrorCode::Timeout, 5s).detail, "no HELLO in time");
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2500ms);
    EXPECT_TRUE(silent.wait_closed());
    // max-frame 1024: a bigger frame now ends the session that sent it, and only that one.
    ada.send(chat::Echo{std::string(2000, 'e')});
    EXPECT_NE(ada.expect_error(chat::ErrorCode::BadFrame).detail.find("outside 4..1024"),
              std::string::npos);
    bob.send(chat::Ping{7});
    EXPECT_EQ(bob.expect<chat::Pong>().token, 7u);

    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
    const std::string text = file_text(log);
    for (const char* line :
         {"reload: max-sessions 10 -> 3 (from the next connection; nobody is dropped)",
          "reload: handshake-timeout 60 s -> 1 s (for every session, now)",
          "reload: max-frame 65535 -> 1024 (for the frames to come)",
          "reload: max-send-queue 8MiB -> 1MiB (for connections from now on",
          "reload: listen changed: takes effect at the next restart"})
        EXPECT_NE(text.find(line), std::string::npos) << line << " not in:\n" << text;
    // bob was never dropped: his logout is the shutdown's.
    const auto bob_out = text.find(" nick bob: ");
    ASSERT_NE(bob_out, std::string::npos) << text;
    EXPECT_GT(bob_out, text.find("shutting down")) << text;
}

TEST(Reload, ABadConfigFileIsRefusedAndTheRunningSettingsStay) {
    if (kForeign) GTEST_SKIP() << "the config file's path is this machine's";
    ReloadSetup setup("reload_bad");
    ServerProcess server(kServer, with_prefix({"--port", "0", "--config", setup.config}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    write_file(setup.config, "max-sessions = 0\n");
    server.command("/rehash");
    const auto answer = server.read_line().value_or("");
    EXPECT_NE(answer.find("error: reload refused, nothing changed: --max-sessions"),
              std::string::npos)
        << answer;
    TestClient ada(port);
    EXPECT_EQ(ada.login("ada", "old-secret").server_name, "before");
}

}  // namespace
