// chat_server over TLS as an operator runs it and clients meet it: --tls-cert/--tls-key make the
// listener TLS, --tls-port adds a TLS listener beside the plain one (both chat in one room),
// --tls-only opens no plain one, and a bad certificate or key stops the start with exit status 2
// and the file named. The clients are real TLS clients (netcore's TLS session over a socket)
// checking the test CA's certificate (tests/data/tls).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "netcore/client.hpp"
#include "netcore/socket_ops.hpp"
#include "netcore/tls.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

std::string data(const std::string& name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}
const std::string kCert = data("server.pem");
const std::string kKey = data("server.key");
const std::string kOtherKey = data("otherhost.key");  // a key of another certificate
const std::string kCa = data("ca.pem");

std::vector<std::string> tls_pair() {
    return {"--tls-cert", kCert, "--tls-key", kKey};
}

std::vector<std::string> args(std::vector<std::string> first,
                              const std::vector<std::string>& more) {
    first.insert(first.end(), more.begin(), more.end());
    return first;
}

std::shared_ptr<netcore::TlsContext> trusting_the_test_ca() {
    static const auto context = netcore::TlsContext::client({kCa, true});
    return context;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Why this chat_server cannot serve TLS here, "" when it can. Only a foreign server is probed
// (chat_server.exe under Wine), and only Wine's own failure skips: its Schannel has no server
// side (SEC_E_UNSUPPORTED_FUNCTION, docs/architecture.md), which the server logs for the
// probe's session. Any other failure, and a native server that cannot serve TLS, fails the
// tests.
const std::string& no_tls_server() {
    static const std::string why = []() -> std::string {
        if (!kForeign) return "";
        const std::string log = ::testing::TempDir() + "netchat_tls_probe.log";
        ServerProcess server(kServer, with_prefix(args({"--port", "0"}, tls_pair())), log);
        const std::uint16_t port = server.wait_listening();
        if (port == 0) return "";
        const TestClient probe(port, 0, trusting_the_test_ca());
        server.signal(kStopSignal);
        server.wait_exit();
        const std::string said = file_text(log);
        std::remove(log.c_str());
        if (probe.tls_error().empty() ||
            said.find("SEC_E_UNSUPPORTED_FUNCTION") == std::string::npos)
            return "";
        const auto at = said.find("SEC_E_UNSUPPORTED_FUNCTION");
        const auto line = said.rfind('\n', at) + 1;  // npos + 1 == 0: the first line
        return "Wine's Schannel cannot be a TLS server; the server logged: " +
               said.substr(line, said.find('\n', at) - line);
    }();
    return why;
}

#define SKIP_IF_THE_SERVER_HAS_NO_TLS() \
    if (const std::string& why = no_tls_server(); !why.empty()) GTEST_SKIP() << why

struct Listening {
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;
    std::string engine;
};

// The next "listening on ADDR:PORT [(tls)] engine=NAME" line; port 0 when the next line is not.
Listening next_listening(ServerProcess& server, std::chrono::milliseconds timeout = 10s) {
    static const std::regex pattern(R"(^listening on (\S+):(\d+)( \(tls\))? engine=(\S+)$)");
    const std::string line = server.read_line(timeout).value_or("");
    std::smatch m;
    if (!std::regex_match(line, m, pattern)) return {line, 0, false, {}};
    return {m[1], static_cast<std::uint16_t>(std::stoi(m[2])), m[3].matched, m[4]};
}

// A member over TLS: handshake checked, then logged in.
TestClient tls_member(std::uint16_t port, const std::string& nick) {
    TestClient c(port, 0, trusting_the_test_ca());
    if (!c.tls_error().empty()) throw std::runtime_error("TLS handshake: " + c.tls_error());
    c.login(nick);
    return c;
}

TEST(TlsServer, TwoClientsChatOverTlsAndStatsCountThem) {
    SKIP_IF_THE_SERVER_HAS_NO_TLS();
    ServerProcess server(kServer, with_prefix(args({"--port", "0"}, tls_pair())));
    const Listening l = next_listening(server);
    ASSERT_NE(l.port, 0) << l.host;
    EXPECT_TRUE(l.tls) << "the only listener is TLS";

    TestClient ann = tls_member(l.port, "ann");
    TestClient bob = tls_member(l.port, "bob");
    const auto info = ann.tls_info();
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->version == "TLSv1.2" || info->version == "TLSv1.3") << info->version;
    EXPECT_FALSE(info->cipher.empty());

    ann.join("r");
    bob.join("r");
    ann.expect<chat::RoomEvent>();
    const std::string text = "비밀 over TLS, 1/2";
    bob.send(chat::Say{"r", text});
    EXPECT_EQ(ann.expect<chat::Message>().text, text);
    EXPECT_EQ(bob.expect<chat::Message>().text, text);

    server.command("/stats");
    const std::string stats = server.read_line().value_or("");
    EXPECT_TRUE(contains(stats, "tls_listeners=1 tls_sessions=2")) << stats;
    EXPECT_TRUE(contains(stats, "tls_library=\"")) << stats;

    server.signal(kStopSignal);
    EXPECT_EQ(ann.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(server.wait_exit(), 0);
}

TEST(TlsServer, TlsPortServesBesideThePlainPortInOneRoom) {
    SKIP_IF_THE_SERVER_HAS_NO_TLS();
    ServerProcess server(kServer,
                         with_prefix(args({"--port", "0", "--tls-port", "0"}, tls_pair())));
    const Listening plain = next_listening(server);
    const Listening secure = next_listening(server);
    ASSERT_NE(plain.port, 0) << plain.host;
    ASSERT_NE(secure.port, 0) << secure.host;
    EXPECT_FALSE(plain.tls);
    EXPECT_TRUE(secure.tls);
    EXPECT_NE(plain.port, secure.port);
    EXPECT_EQ(plain.host, secure.host);

    TestClient clear(plain.port);
    clear.login("clear");
    TestClient hidden = tls_member(secure.port, "hidden");
    clear.join("both");
    hidden.join("both");
    clear.expect<chat::RoomEvent>();
    for (TestClient* from : {&clear, &hidden}) {
        const std::string text = from == &clear ? "from the plain port" : "from the TLS port";
        from->send(chat::Say{"both", text});
        EXPECT_EQ(clear.expect<chat::Message>().text, text);
        EXPECT_EQ(hidden.expect<chat::Message>().text, text);
    }
    server.command("/stats");
    EXPECT_TRUE(contains(server.read_line().value_or(""), "tls_listeners=1 tls_sessions=1"));
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
}

// A port nobody listens on now (bound, then let go).
std::uint16_t free_port() {
    const netcore::socket_t s = netcore::listen_tcp("127.0.0.1", 0);
    const std::uint16_t port = netcore::local_port(s);
    netcore::close_socket(s);
    return port;
}

TEST(TlsServer, TlsOnlyOpensNoPlainListener) {
    SKIP_IF_THE_SERVER_HAS_NO_TLS();
    const std::uint16_t plain_port = free_port();
    ServerProcess server(
        kServer,
        with_prefix(args({"--port", std::to_string(plain_port), "--tls-port", "0", "--tls-only"},
                         tls_pair())));
    const Listening only = next_listening(server);
    ASSERT_NE(only.port, 0) << only.host;
    EXPECT_TRUE(only.tls);
    EXPECT_NE(only.port, plain_port);
    // The next line answers /stats: there was no other listener to announce.
    server.command("/stats");
    const std::string stats = server.read_line().value_or("");
    EXPECT_TRUE(contains(stats, "tls_listeners=1 ")) << stats;
    std::string error;
    const netcore::socket_t s =
        netcore::connect_tcp("127.0.0.1", plain_port, std::chrono::seconds(2), "", error);
    EXPECT_EQ(s, netcore::kInvalidSocket) << "something listens on the plain port";
    if (s != netcore::kInvalidSocket) netcore::close_socket(s);
    TestClient member = tls_member(only.port, "only");
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
}

// No TLS server is needed for this one: the refusal comes before any handshake (Wine too).
TEST(TlsServer, PlaintextClientOnTheTlsPortIsRefused) {
    ServerProcess server(kServer, with_prefix(args({"--port", "0"}, tls_pair())));
    const Listening l = next_listening(server);
    ASSERT_NE(l.port, 0) << l.host;
    TestClient plain(l.port);
    plain.send(chat::Hello{chat::kProtocolVersion, "plain", ""});
    // Told in clear, the one frame a plaintext client can read, then closed.
    const chat::Error refusal = plain.expect_error(chat::ErrorCode::ServerFull);
    EXPECT_EQ(refusal.detail, "this port speaks TLS: connect with TLS");
    EXPECT_TRUE(plain.wait_closed(10s)) << "the server kept a plaintext client on its TLS port";
    server.command("/stats");
    EXPECT_TRUE(contains(server.read_line().value_or(""), "refused_by_engine=0 "))
        << "not counted as a resource the engine ran out of";
    // ...and keeps serving TLS clients.
    if (no_tls_server().empty()) {
        EXPECT_NO_THROW(tls_member(l.port, "after"));
    }
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
}

// ---- settings ----

struct Outcome {
    int status = -1;
    std::string output;
};

Outcome run(const std::vector<std::string>& a, const std::vector<std::string>& env = {}) {
    Outcome r;
    r.status = run_capture(kServer, with_prefix(a), r.output, env);
    return r;
}

// A file in the test's temporary directory, removed at the end of the test.
struct TempFile {
    TempFile(const std::string& name, const std::string& content)
        : path(::testing::TempDir() + "netchat_tls_" + std::to_string(::getpid()) + "_" + name) {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
    std::string path;
};

TEST(TlsServerSettings, ABadCertificateOrKeyStopsTheStartNamingTheFile) {
    const TempFile junk("junk.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
    const std::string missing = ::testing::TempDir() + "netchat_tls_no_such_file.pem";
    struct Case {
        std::string what, cert, key, named;
    };
    for (const Case& c : {
             Case{"missing certificate", missing, kKey, missing},
             Case{"missing key", kCert, missing, missing},
             Case{"certificate that is not one", junk.path, kKey, junk.path},
             Case{"key that is not one", kCert, junk.path, junk.path},
             Case{"key of another certificate", kCert, kOtherKey, kOtherKey},
         }) {
        for (const bool check_config : {false, true}) {
            std::vector<std::string> a = {"--port", "0", "--tls-cert", c.cert, "--tls-key", c.key};
            if (check_config) a.push_back("--check-config");
            const Outcome r = run(a);
            EXPECT_EQ(r.status, 2) << c.what << ": " << r.output;
            EXPECT_TRUE(contains(r.output, c.named)) << c.what << " is not named: " << r.output;
            EXPECT_FALSE(contains(r.output, "listening on")) << c.what << ": " << r.output;
            if (check_config) {
                EXPECT_TRUE(contains(r.output, "NOT valid")) << r.output;
            }
        }
    }
}

TEST(TlsServerSettings, TlsOptionsThatCannotWorkAreRefused) {
    for (const auto& [a, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--tls-port", "6697"}, "--tls-port 6697 needs --tls-cert FILE and --tls-key FILE"},
             {{"--tls-only"}, "--tls-only needs --tls-cert FILE and --tls-key FILE"},
             {{"--tls-cert", kCert}, "needs --tls-key too"},
             {{"--tls-key", kKey}, "needs --tls-cert too"},
             {args({"--port", "7000", "--tls-port", "7000"}, tls_pair()),
              "--tls-port 7000 is the plain port of --listen 127.0.0.1 too"},
             {{"--tls-port", "70000"}, "70000 is outside 0..65535"},
         }) {
        const Outcome r = run(a);
        EXPECT_EQ(r.status, 2) << r.output;
        EXPECT_TRUE(contains(r.output, says)) << r.output;
    }
}

TEST(TlsServerSettings, ComeFromTheConfigFileAndTheEnvironment) {
    const TempFile config(
        "tls.toml", "tls-cert = \"" + kCert + "\"\ntls-key = \"" + kKey + "\"\ntls-port = 6697\n");
    Outcome r = run({"--config", config.path, "--check-config"});
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "tls-port = 6697")) << r.output;
    EXPECT_TRUE(contains(r.output, "127.0.0.1:7777 (plain), 127.0.0.1:6697 (tls)")) << r.output;
    r = run({"--check-config"},
            {"NETCHAT_TLS_CERT=" + kCert, "NETCHAT_TLS_KEY=" + kKey, "NETCHAT_TLS_ONLY=true"});
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "tls-only = true")) << r.output;
    EXPECT_TRUE(contains(r.output, "environment NETCHAT_TLS_ONLY")) << r.output;
    EXPECT_TRUE(contains(r.output, "127.0.0.1:7777 (tls)")) << r.output;
    // A missing key file named in the environment: refused, saying where the setting came from.
    r = run({"--check-config"}, {"NETCHAT_TLS_CERT=" + kCert, "NETCHAT_TLS_KEY=/nonexistent.key"});
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "--tls-key /nonexistent.key: cannot read it")) << r.output;
    EXPECT_TRUE(contains(r.output, "environment NETCHAT_TLS_KEY")) << r.output;
}

TEST(TlsServerSettings, VersionNamesTheTlsLibrary) {
    const Outcome r = run({"--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.output, std::string("chat_server ") + NETCHAT_VERSION + " (TLS: "))
        << r.output;
}

}  // namespace
