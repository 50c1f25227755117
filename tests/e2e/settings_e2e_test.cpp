// chat_server's settings as an operator meets them: every bad value refused at start with the
// rule or range in the message and exit status 2, the config file, NETCHAT_* variables and the
// command line layered in that order, --check-config, --password-file and --version.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;

namespace {

// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
  public:
    TempFile(const std::string& name, const std::string& content) {
        path_ = ::testing::TempDir() + "netchat_" + std::to_string(::getpid()) + "_" + name;
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

struct Outcome {
    int status = -1;
    std::string output;  // stdout and stderr
};

Outcome run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    Outcome r;
    r.status = run_capture(kServer, with_prefix(args), r.output, env);
    return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---- bad operator input: each is an error at start, with the rule, and exit status 2 ----

struct BadCase {
    std::vector<std::string> args;
    std::string says;
};

TEST(ServerSettings, EveryBadValueIsRefusedWithItsRangeAndExitStatus2) {
    const std::vector<BadCase> cases = {
        {{"--handshake-timeout", "nan"},
         "--handshake-timeout: nan is not a finite number (1..3600"},
        {{"--handshake-timeout", "inf"}, "--handshake-timeout: inf is not a finite number"},
        {{"--handshake-timeout", "0.01"}, "outside 1..3600 seconds"},
        {{"--idle-timeout", "0.01"}, "--idle-timeout: 0.01 is outside 10..86400 seconds"},
        {{"--idle-timeout", "-1"}, "--idle-timeout: -1 is outside 10..86400"},
        {{"--rate-limit", "nan"}, "--rate-limit: nan is not a finite number (0..1000000"},
        {{"--rate-limit", "-inf"}, "--rate-limit: -inf is not a finite number"},
        {{"--rate-limit", "lots"}, "'lots' is not a number"},
        {{"--port", "70000"}, "--port: 70000 is outside 0..65535"},
        {{"--port", "-1"}, "--port: -1 is outside 0..65535"},
        {{"--max-sessions", "0"}, "--max-sessions: 0 is outside 1..10000000"},
        {{"--max-frame", "2"}, "--max-frame: 2 is outside 64..65535"},
        {{"--max-per-address", "20000000"}, "--max-per-address: 20000000 is outside 0..10000000"},
        {{"--max-handshakes", "lots"}, "'lots' is not a whole number (0..10000000)"},
        {{"--max-send-queue", "lots"}, "'lots' is not a size (64KiB..1TiB"},
        {{"--max-send-queue", "1KiB"}, "1KiB is outside 64KiB..1TiB"},
        {{"--history", "-1"}, "--history: -1 is outside 0..1000000"},
        {{"--history", "2000000"}, "--history: 2000000 is outside 0..1000000"},
        {{"--history-memory", "lots"}, "'lots' is not a size (0B..1TiB"},
        {{"--history-memory", "2TiB"}, "2TiB is outside 0B..1TiB"},
        {{"--name", "bell\x07"}, "--name: the server name holds a control character"},
        {{"--name", "tab\there"}, "control character"},
        {{"--name", ""}, "the server name is empty"},
        {{"--password", "new\nline"}, "the password holds a control character"},
        {{"--listen", "[::1"}, "--listen [::1: '[::1' has no closing ']'"},
        {{"--listen", "127.0.0.1:99999"}, "the port 99999 is outside 0..65535"},
        {{"--listen", "not-an-address", "--port", "0"}, "--listen not-an-address: cannot resolve"},
        {{"--engine", "kqueue"}, "--engine"},
        {{"--log-level", "loud"}, "--log-level"},
        {{"--frobnicate"}, "--frobnicate"},
        {{"--password", "a", "--password-file", "/nonexistent"}, "not both"},
        {{"--password-file", "/nonexistent/pw"}, "--password-file /nonexistent/pw: cannot read"},
        {{"--config", "/nonexistent/netchat.toml"}, "cannot read it"},
    };
    for (const BadCase& c : cases) {
        const Outcome r = run(c.args);
        EXPECT_EQ(r.status, 2) << c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : "");
        EXPECT_TRUE(contains(r.output, c.says)) << "expected '" << c.says << "' in:\n" << r.output;
        EXPECT_FALSE(contains(r.output, "listening on")) << r.output;
    }
}

// Names the command line cannot carry through Wine unchanged (invalid UTF-8, 64 KiB) come in a
// config file, which every platform reads byte for byte.
TEST(ServerSettings, ServerNamesBreakingTheProtocolsRulesAreRefused) {
    const TempFile invalid_utf8("bad_utf8.toml", "name = \"caf\xC3\x28\"\n");
    const TempFile huge("huge_name.toml", "name = \"" + std::string(65536, 'n') + "\"\n");
    const TempFile c1("c1_name.toml", "name = \"x\xC2\x85y\"\n");  // U+0085, a C1 control
    Outcome r = run({"--config", invalid_utf8.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "--name: the server name is not valid UTF-8 (config file"))
        << r.output;
    r = run({"--config", huge.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "the server name is 65536 bytes; the limit is 64")) << r.output;
    r = run({"--config", c1.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "control character")) << r.output;
    // ... and the same through the environment.
    r = run({}, {"NETCHAT_NAME=" + std::string(100, 'n')});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "the limit is 64 (environment NETCHAT_NAME)")) << r.output;
}

TEST(ServerSettings, BadConfigFilesAreRefusedWithTheFileAndTheKey) {
    const TempFile unknown("unknown_key.toml", "max_sessions = 5\n");
    Outcome r = run({"--config", unknown.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "unknown setting 'max_sessions'")) << r.output;
    EXPECT_TRUE(contains(r.output, unknown.path())) << r.output;

    const TempFile range("range.toml", "port = 70000\n");
    r = run({"--config", range.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "--port: 70000 is outside 0..65535 (config file")) << r.output;

    const TempFile action("action.toml", "check-config = true\n");
    r = run({"--config", action.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "not allowed in a configuration file")) << r.output;

    r = run({}, {"NETCHAT_PORT=99999"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "--port: 99999 is outside 0..65535 (environment NETCHAT_PORT)"))
        << r.output;
}

// ---- --version, --help ----

TEST(ServerSettings, VersionIsTheProjectVersion) {
    const Outcome r = run({"--version"});
    EXPECT_EQ(r.status, 0);
    // "chat_server 0.1.0 (TLS: OpenSSL 3.0.11)": the TLS library is tls_e2e_test's.
    EXPECT_EQ(r.output.substr(0, r.output.find(" (TLS: ")),
              std::string("chat_server ") + NETCHAT_VERSION);
}

TEST(ServerSettings, HelpNamesTheLayersTheCommandsAndTheExitStatuses) {
    const Outcome r = run({"--help"});
    EXPECT_EQ(r.status, 0);
    for (const char* text : {"--config", "--check-config", "--password-file", "--version",
                             "NETCHAT_MAX_SESSIONS", "/engine NAME", "/kick NICK", "/notice TEXT",
                             "/stats", "/quit", "Exit status", "2 for a bad option"})
        EXPECT_TRUE(contains(r.output, text)) << text;
}

// ---- layering: command line over environment over config file over defaults ----

TEST(ServerSettings, CommandLineBeatsEnvironmentBeatsConfigFile) {
    const TempFile config("layers.toml",
                          "# every option, keyed by its long name\n"
                          "name = \"from-config\"\n"
                          "max-sessions = 50\n"
                          "rate-limit = 5\n"
                          "idle-timeout = 300\n");
    const std::vector<std::string> env = {"NETCHAT_CONFIG=" + config.path(), "NETCHAT_RATE_LIMIT=7",
                                          "NETCHAT_IDLE_TIMEOUT=200"};
    const Outcome r = run({"--check-config", "--idle-timeout", "100"}, env);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(name = "from-config" +# config file)")))
        << r.output;
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(max-sessions = 50 +# config file)")));
    EXPECT_TRUE(std::regex_search(
        r.output, std::regex(R"(rate-limit = 7 +# environment NETCHAT_RATE_LIMIT)")));
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(idle-timeout = 100 +# command line)")));
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(max-frame = 65535 +# default)")));
    EXPECT_TRUE(contains(r.output, "the settings are valid")) << r.output;
}

// The same layering seen by a client: the server name in WELCOME and --max-sessions.
TEST(ServerSettings, TheLayeredSettingsAreTheOnesServed) {
    const TempFile config("served.toml", "name = \"from-config\"\nmax-sessions = 1\n");
    {
        ServerProcess server(kServer, with_prefix({"--config", config.path(), "--port", "0"}));
        const auto port = server.wait_listening();
        ASSERT_NE(port, 0);
        TestClient a(port);
        EXPECT_EQ(a.login("a").server_name, "from-config");
        TestClient b(port);  // past max-sessions = 1
        b.expect_error(chat::ErrorCode::ServerFull);
    }
    {
        SpawnOptions options;
        options.env = {"NETCHAT_NAME=from-env"};
        ServerProcess server(kServer, with_prefix({"--config", config.path(), "--port", "0"}),
                             options);
        const auto port = server.wait_listening();
        ASSERT_NE(port, 0);
        EXPECT_EQ(TestClient(port).login("a").server_name, "from-env");
    }
    {
        SpawnOptions options;
        options.env = {"NETCHAT_NAME=from-env"};
        ServerProcess server(
            kServer, with_prefix({"--config", config.path(), "--port", "0", "--name", "from-cli"}),
            options);
        const auto port = server.wait_listening();
        ASSERT_NE(port, 0);
        EXPECT_EQ(TestClient(port).login("a").server_name, "from-cli");
    }
}

// ---- --check-config (as nginx -t) ----

TEST(ServerSettings, CheckConfigPrintsTheEffectiveSettingsAndExits0Or2) {
    const TempFile good("good.toml", "max-sessions = 50\nmax-send-queue = \"16MiB\"\n");
    Outcome r = run({"--config", good.path(), "--check-config"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "max-send-queue = \"16MiB\"")) << r.output;
    EXPECT_FALSE(contains(r.output, "listening on"));

    // What it prints is a config file that gives the same settings.
    const TempFile echoed("echoed.toml", r.output);
    const Outcome again = run({"--config", echoed.path(), "--check-config"});
    EXPECT_EQ(again.status, 0) << again.output;
    EXPECT_TRUE(contains(again.output, "max-sessions = 50")) << again.output;

    const TempFile bad("bad.toml", "max-sessions = 0\n");
    r = run({"--config", bad.path(), "--check-config"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "--max-sessions: 0 is outside 1..10000000")) << r.output;
    EXPECT_TRUE(contains(r.output, "NOT valid")) << r.output;
}

// ---- the password out of ps ----

TEST(ServerSettings, PasswordFileIsUsedAndNeverPrinted) {
    const TempFile password("password", "correct horse\n");
    const Outcome check = run({"--password-file", password.path(), "--check-config"});
    EXPECT_EQ(check.status, 0) << check.output;
    EXPECT_FALSE(contains(check.output, "correct horse")) << check.output;
    EXPECT_TRUE(contains(check.output, "password: set")) << check.output;

    ServerProcess server(kServer, with_prefix({"--password-file", password.path(), "--port", "0"}));
    const auto port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient wrong(port);
    wrong.send(chat::Hello{chat::kProtocolVersion, "w", "wrong"});
    wrong.expect_error(chat::ErrorCode::BadPassword);
    EXPECT_EQ(TestClient(port).login("r", "correct horse").nick, "r");

    const TempFile empty("empty_password", "\n");
    const Outcome r = run({"--password-file", empty.path()});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "the first line is empty")) << r.output;
}

TEST(ServerSettings, PasswordOnTheCommandLineIsWarnedAbout) {
    const Outcome r = run({"--password", "pw", "--check-config"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.output, "visible to every user in ps")) << r.output;
    EXPECT_FALSE(contains(r.output, "= \"pw\"")) << r.output;
}

// ---- /stats tells the version too ----

TEST(ServerSettings, StatsTellTheVersion) {
    ServerProcess server(kServer, with_prefix({"--port", "0"}));
    ASSERT_NE(server.wait_listening(), 0);
    server.command("/stats");
    const auto stats = server.read_line().value_or("");
    EXPECT_TRUE(contains(stats, std::string("version=") + NETCHAT_VERSION)) << stats;
}

// ---- --listen forms ----

TEST(ServerSettings, ListenTakesBracketedIpv6AndAddressWithPort) {
    {
        ServerProcess server(kServer, with_prefix({"--listen", "[::1]:0"}));
        std::string engine;
        const auto port = server.wait_listening(&engine);
        ASSERT_NE(port, 0) << "no 'listening on [::1]:PORT' line";
        EXPECT_EQ(TestClient("::1", port).login("six").nick, "six");
    }
    {
        ServerProcess server(kServer, with_prefix({"--listen", "[::1]", "--port", "0"}));
        const auto port = server.wait_listening();
        ASSERT_NE(port, 0);
        EXPECT_EQ(TestClient("::1", port).login("six").nick, "six");
    }
    {
        ServerProcess server(kServer, with_prefix({"--listen", "127.0.0.1:0"}));
        const auto port = server.wait_listening();
        ASSERT_NE(port, 0);
        EXPECT_EQ(TestClient(port).login("four").nick, "four");
    }
}

}  // namespace
