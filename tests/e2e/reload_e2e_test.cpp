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
