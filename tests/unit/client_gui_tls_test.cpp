// The client window's network side over TLS, against a real TLS server in this process (the
// test CA's certificates, tests/data/tls): it logs in and chats with the certificate and host
// name checked, shows what was negotiated, refuses an expired certificate with the reason and
// without hammering the server, and takes it with --insecure while saying what that skips.
#include <gtest/gtest.h>

#include "client_command_line.hpp"
#include "client_controller.hpp"
#include "client_gui_harness.hpp"
#include "netcore/engine_registry.hpp"
#include "netcore/tls.hpp"
#include "server_under_test.hpp"
#include "tls_server_check.hpp"
#include "transport.hpp"

using namespace client_gui;
using namespace client_gui::test_harness;
using namespace std::chrono_literals;
using testing_support::ServerUnderTest;

namespace {

const std::string kServerEngine(netcore::default_engine_name());

std::string data(const std::string& name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}

// Why this build cannot be a TLS server here, "" when it can: a build without TLS, or Wine's
// Schannel, which has no server side (tls_server_check.hpp).
std::string no_tls_server() {
    if (!NETCORE_TLS_AVAILABLE) return "this build has no TLS";
    return testing_support::tls_server_missing().value_or("");
}

// The chat service on a TLS listener presenting the test certificate `cert` (server, expired,
// otherhost); nullptr (and the test skipped) where no TLS server can run.
std::unique_ptr<ServerUnderTest> tls_server(const std::string& cert) {
    if (!no_tls_server().empty()) return nullptr;
    netcore::ServerOptions options = testing_support::test_server_options();
    options.tls = testing_support::test_server_tls(cert);
    options.listen_tls = true;
    return std::make_unique<ServerUnderTest>(kServerEngine, testing_support::test_service_config(),
                                             options);
}

#define TLS_SERVER_OR_SKIP(name, cert)  \
    const auto name = tls_server(cert); \
    if (!name) GTEST_SKIP() << no_tls_server()

Connect tls_connect(std::uint16_t port, const std::string& nick, bool keep_trying = false) {
    Connect c = connect_to(port, nick);
    c.host = "localhost";  // the name the test certificates carry
    c.tls = true;
    c.keep_trying = keep_trying;
    return c;
}

ControllerOptions checking(const std::string& ca) {
    ControllerOptions o = Harness::fast_options();
    o.tls_ca = data(ca);
    return o;
}

TEST(ClientTls, LogsInOverTlsChecksTheCertificateAndShowsTheCipher) {
    TLS_SERVER_OR_SKIP(server, "server");
    Harness h(checking("ca.pem"));
    h.command(tls_connect(server->port(), "민수"));
    auto v = h.wait([](const ClientView& v) {
        return v.link == Link::Ready && !v.tls_version.empty() && v.rooms.count("lobby");
    });
    ASSERT_TRUE(v) << "not logged in over TLS: " << h.wait([](auto&) { return true; })->problem;
    EXPECT_TRUE(v->tls);
    EXPECT_TRUE(v->tls_version == "TLSv1.2" || v->tls_version == "TLSv1.3") << v->tls_version;
    EXPECT_FALSE(v->tls_cipher.empty());
    EXPECT_TRUE(v->tls_warning.empty()) << "nothing is skipped: " << v->tls_warning;

    h.command(SayText{"lobby", "암호화된 안녕"});
    EXPECT_TRUE(h.wait([](const ClientView& v) { return has_line(v, "lobby", "암호화된 안녕"); }));
    const auto sessions = server->service.sessions();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_TRUE(sessions[0].tls);
    EXPECT_EQ(sessions[0].tls_version, v->tls_version);
    EXPECT_EQ(sessions[0].tls_cipher, v->tls_cipher);
}

TEST(ClientTls, AnExpiredCertificateIsRefusedWithTheReasonAndNotRetriedFast) {
    TLS_SERVER_OR_SKIP(server, "expired");
    ControllerOptions options = checking("ca.pem");
    options.tls_retry = 20s;
    Harness h(options);
    // Started from the connect panel: the reason, and the panel back (nothing retries).
    h.command(tls_connect(server->port(), "민수"));
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Idle && !v.problem.empty(); });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("expired"), std::string::npos) << v->problem;
    EXPECT_NE(v->problem.find("--ca"), std::string::npos) << "says what to do: " << v->problem;
    EXPECT_TRUE(server->service.sessions().empty());

    // Started to keep trying (as scripts/run.sh starts it): the next try waits tls_retry, not
    // the backoff's fraction of a second.
    h.command(tls_connect(server->port(), "지영", true));
    v = h.wait([](const ClientView& v) { return v.link == Link::Retrying; });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("expired"), std::string::npos) << v->problem;
    EXPECT_GT(v->retry_at - std::chrono::steady_clock::now(), 15s);
    EXPECT_EQ(v->attempt, 1);
    std::this_thread::sleep_for(500ms);  // several backoffs' worth: no second attempt
    v = h.wait([](const ClientView&) { return true; });
    EXPECT_EQ(v->attempt, 1);
}

TEST(ClientTls, AServerOfAnotherNameIsRefused) {
    TLS_SERVER_OR_SKIP(server, "otherhost");
    Harness h(checking("ca.pem"));
    h.command(tls_connect(server->port(), "민수"));
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Idle && !v.problem.empty(); });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("TLS with localhost:"), std::string::npos) << v->problem;
    EXPECT_NE(v->problem.find("certificate was not accepted"), std::string::npos) << v->problem;
}

TEST(ClientTls, InsecureTakesTheExpiredCertificateAndSaysWhatItSkips) {
    TLS_SERVER_OR_SKIP(server, "expired");
    ControllerOptions options = Harness::fast_options();
    options.tls_insecure = true;
    Harness h(options);
    h.command(tls_connect(server->port(), "민수"));
    auto v =
        h.wait([](const ClientView& v) { return v.link == Link::Ready && !v.tls_version.empty(); });
    ASSERT_TRUE(v) << h.wait([](auto&) { return true; })->problem;
    EXPECT_NE(v->tls_warning.find("NOT checked"), std::string::npos) << v->tls_warning;
}

TEST(ClientTls, APlaintextConnectToATlsPortSaysToUseTls) {
    TLS_SERVER_OR_SKIP(server, "server");
    Harness h;
    h.command(connect_to(server->port(), "민수"));  // the TLS box left unticked
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Refused; });
    ASSERT_TRUE(v);
    EXPECT_EQ(v->problem, "This port speaks TLS: connect with TLS (the TLS box, or --tls).");
}

TEST(ClientTls, CommandLineTakesTlsCaAndInsecure) {
    ClientCommandLine cl;
    EXPECT_EQ(
        check_client_arguments(
            {"--connect", "localhost:6697", "--nick", "a", "--tls", "--ca", data("ca.pem")}, cl),
        "");
    EXPECT_TRUE(cl.tls);
    EXPECT_EQ(cl.ca_file, data("ca.pem"));
    EXPECT_FALSE(cl.insecure);
    ClientCommandLine other;
    EXPECT_NE(check_client_arguments({"--tls", "--ca", data("ca.pem"), "--insecure"}, other)
                  .find("not both"),
              std::string::npos);
    ClientCommandLine fresh;
    EXPECT_NE(check_client_arguments({"--tls", "--ca", "/no/such/ca.pem"}, fresh)
                  .find("cannot read /no/such/ca.pem"),
              std::string::npos);
}

}  // namespace
