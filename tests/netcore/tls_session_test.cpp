// TlsSession pairs talking through memory only (no sockets): the filter every engine carries.
// Written against netcore/tls.hpp alone, so each platform's implementation runs it.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "netcore/tls.hpp"
#include "tls_server_check.hpp"

using netcore::ByteBuffer;
using netcore::TlsClientConfig;
using netcore::TlsContext;
using netcore::TlsServerConfig;
using netcore::TlsSession;
using Status = netcore::TlsSession::Status;

namespace {

std::string data_file(const std::string& name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}

std::shared_ptr<TlsContext> server_context(const std::string& cert = "server") {
    return TlsContext::server({data_file(cert + ".pem"), data_file(cert + ".key")});
}

std::shared_ptr<TlsContext> client_context(bool verify = true) {
    TlsClientConfig config;
    config.ca_file = data_file("ca.pem");
    config.verify = verify;
    return TlsContext::client(config);
}

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s));
}

std::string text_of(const ByteBuffer& b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xFF);
    return s;
}

// A client and a server session joined by two byte queues; pump() moves records both ways
// until neither has anything to say.
struct Pair {
    explicit Pair(std::shared_ptr<TlsContext> server_ctx = server_context(),
                  std::shared_ptr<TlsContext> client_ctx = client_context(),
                  std::string host = "localhost")
        : server(server_ctx->new_session()), client(client_ctx->new_session(host)) {
        client->start(to_server);
        server->start(to_client);
    }

    void pump() {
        for (int round = 0; round < 100 && (!to_server.empty() || !to_client.empty()); ++round) {
            if (!to_server.empty() && server_status != Status::Failed) {
                ByteBuffer in;
                in.swap(to_server);
                server_status = server->receive(in.readable(), server_plain, to_client);
            } else {
                to_server.clear();
            }
            if (!to_client.empty() && client_status != Status::Failed) {
                ByteBuffer in;
                in.swap(to_client);
                client_status = client->receive(in.readable(), client_plain, to_server);
            } else {
                to_client.clear();
            }
        }
    }

    std::unique_ptr<TlsSession> server, client;
    ByteBuffer to_server, to_client, server_plain, client_plain;
    Status server_status = Status::Ok, client_status = Status::Ok;
};

bool is_openssl() {
    return netcore::tls_library().rfind("OpenSSL", 0) == 0;
}

TEST(TlsSession, HandshakesAndCarriesDataBothWays) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p;
    EXPECT_FALSE(p.to_server.empty()) << "a client's start() writes its ClientHello";
    EXPECT_TRUE(p.to_client.empty()) << "a server's start() writes nothing";
    p.pump();
    ASSERT_EQ(p.server_status, Status::Ok) << p.server->error();
    ASSERT_EQ(p.client_status, Status::Ok) << p.client->error();
    EXPECT_TRUE(p.client->handshake_done());
    EXPECT_TRUE(p.server->handshake_done());
    const auto info = p.client->info();
    EXPECT_EQ(info.version.rfind("TLS", 0), 0u) << info.version;
    EXPECT_NE(info.version, "TLSv1") << "TLS 1.2 is the minimum";
    EXPECT_NE(info.version, "TLSv1.1") << "TLS 1.2 is the minimum";
    EXPECT_FALSE(info.cipher.empty());
    EXPECT_EQ(p.server->info().version, info.version);

    ASSERT_EQ(p.client->send(bytes_of("hello server"), p.to_server), Status::Ok);
    EXPECT_EQ(text_of(p.to_server).find("hello server"), std::string::npos) << "sent in clear";
    p.pump();
    EXPECT_EQ(text_of(p.server_plain), "hello server");
    ASSERT_EQ(p.server->send(bytes_of("hello client"), p.to_client), Status::Ok);
    p.pump();
    EXPECT_EQ(text_of(p.client_plain), "hello client");

    // 1 MB each way: many records, fed in whatever pieces pump() makes.
    const std::string big = pattern(1 << 20);
    p.server_plain.clear();
    p.client_plain.clear();
    ASSERT_EQ(p.client->send(bytes_of(big), p.to_server), Status::Ok);
    ASSERT_EQ(p.server->send(bytes_of(big), p.to_client), Status::Ok);
    p.pump();
    EXPECT_TRUE(text_of(p.server_plain) == big) << p.server_plain.size() << " bytes arrived";
    EXPECT_TRUE(text_of(p.client_plain) == big) << p.client_plain.size() << " bytes arrived";
}

TEST(TlsSession, CiphertextFedOneByteAtATimeStillDecrypts) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p;
    p.pump();
    ASSERT_TRUE(p.server->handshake_done());
    const std::string text = pattern(5000);
    ASSERT_EQ(p.client->send(bytes_of(text), p.to_server), Status::Ok);
    ByteBuffer records;
    records.swap(p.to_server);
    for (std::size_t i = 0; i < records.size(); ++i)
        ASSERT_EQ(p.server->receive(records.readable().subspan(i, 1), p.server_plain, p.to_client),
                  Status::Ok);
    EXPECT_TRUE(text_of(p.server_plain) == text);
}

TEST(TlsSession, BytesSentBeforeTheHandshakeAreHeldThenDelivered) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p;
    const std::size_t hello = p.to_server.size();
    ASSERT_EQ(p.client->send(bytes_of("early words"), p.to_server), Status::Ok);
    EXPECT_EQ(p.client->held_bytes(), 11u);
    EXPECT_EQ(p.to_server.size(), hello) << "nothing but the ClientHello before the handshake";
    EXPECT_TRUE(p.client->info().version.empty());
    p.pump();
    EXPECT_EQ(p.client->held_bytes(), 0u);
    EXPECT_EQ(text_of(p.server_plain), "early words");
}

TEST(TlsSession, CloseNotifyEndsTheStream) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p;
    p.pump();
    ASSERT_EQ(p.client->send(bytes_of("last words"), p.to_server), Status::Ok);
    p.client->close(p.to_server);
    p.pump();
    EXPECT_EQ(text_of(p.server_plain), "last words");
    EXPECT_EQ(p.server_status, Status::Closed);
}

TEST(TlsSession, GarbageRecordAfterTheHandshakeFails) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p;
    p.pump();
    ASSERT_TRUE(p.server->handshake_done());
    // An application-data record header with a body that is no valid ciphertext.
    std::string garbage = "\x17\x03\x03";
    garbage += std::string("\x00\x40", 2) + std::string(64, 'x');
    EXPECT_EQ(p.server->receive(bytes_of(garbage), p.server_plain, p.to_client), Status::Failed);
    EXPECT_FALSE(p.server->error().empty());
    EXPECT_TRUE(p.server_plain.empty());
    EXPECT_EQ(p.server->send(bytes_of("more"), p.to_client), Status::Failed);
}

TEST(TlsSession, PlaintextInsteadOfAClientHelloFails) {
    auto server = server_context()->new_session();
    ByteBuffer plain, out;
    server->start(out);
    EXPECT_EQ(server->receive(bytes_of("GET / HTTP/1.0\r\n\r\n"), plain, out), Status::Failed);
    EXPECT_FALSE(server->error().empty());
    if (is_openssl()) {
        EXPECT_NE(server->error().find("does not speak TLS"), std::string::npos) << server->error();
    }
}

TEST(TlsSession, WrongHostNameFailsWithTheReason) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p(server_context(), client_context(), "wrong.example");
    p.pump();
    EXPECT_EQ(p.client_status, Status::Failed);
    EXPECT_FALSE(p.client->handshake_done());
    EXPECT_FALSE(p.client->error().empty());
    if (is_openssl()) {
        EXPECT_NE(p.client->error().find("certificate verify failed"), std::string::npos)
            << p.client->error();
    }
    // The alert the client sent fails the server's side too.
    EXPECT_EQ(p.server_status, Status::Failed);
}

TEST(TlsSession, CertificateForAnotherHostFails) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p(server_context("otherhost"), client_context(), "localhost");
    p.pump();
    EXPECT_EQ(p.client_status, Status::Failed);
    EXPECT_FALSE(p.client->error().empty());
}

TEST(TlsSession, ExpiredCertificateFailsWithTheReason) {
    SKIP_WITHOUT_TLS_SERVER();
    Pair p(server_context("expired"), client_context(), "localhost");
    p.pump();
    EXPECT_EQ(p.client_status, Status::Failed);
    if (is_openssl()) {
        EXPECT_EQ(p.client->error(), "certificate verify failed: certificate has expired");
    } else {
        EXPECT_FALSE(p.client->error().empty());
    }
}

TEST(TlsSession, UntrustedIssuerFailsAgainstTheSystemStore) {
    SKIP_WITHOUT_TLS_SERVER();
    TlsClientConfig config;  // the platform's trust store, which has never heard of our test CA
    Pair p(server_context(), TlsContext::client(config), "localhost");
    p.pump();
    EXPECT_EQ(p.client_status, Status::Failed);
    EXPECT_FALSE(p.client->error().empty());
}

TEST(TlsSession, InsecureClientAcceptsExpiredAndMismatchedCertificates) {
    SKIP_WITHOUT_TLS_SERVER();
    for (const char* cert : {"expired", "otherhost"}) {
        Pair p(server_context(cert), client_context(false), "localhost");
        p.pump();
        EXPECT_EQ(p.client_status, Status::Ok) << cert << ": " << p.client->error();
        EXPECT_TRUE(p.client->handshake_done()) << cert;
        ASSERT_EQ(p.client->send(bytes_of("ok"), p.to_server), Status::Ok);
        p.pump();
        EXPECT_EQ(text_of(p.server_plain), "ok") << cert;
    }
}

// The message of what `make` throws, or "" if it does not.
template <class F>
std::string thrown_by(F make) {
    try {
        make();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

TEST(TlsContextFiles, MissingCertificateFileIsNamed) {
    const std::string missing = data_file("no-such-cert.pem");
    const std::string what = thrown_by([&] {
        TlsContext::server({missing, data_file("server.key")});
    });
    EXPECT_NE(what.find(missing), std::string::npos) << what;
}

TEST(TlsContextFiles, MissingKeyFileIsNamed) {
    const std::string missing = data_file("no-such-key.pem");
    const std::string what = thrown_by([&] {
        TlsContext::server({data_file("server.pem"), missing});
    });
    EXPECT_NE(what.find(missing), std::string::npos) << what;
}

TEST(TlsContextFiles, FileThatIsNotPemIsNamed) {
    const std::string junk = ::testing::TempDir() + "tls_not_pem.txt";
    {
        std::ofstream out(junk);
        out << "this is no certificate\n";
    }
    std::string what = thrown_by([&] { TlsContext::server({junk, data_file("server.key")}); });
    EXPECT_NE(what.find(junk), std::string::npos) << what;
    what = thrown_by([&] { TlsContext::server({data_file("server.pem"), junk}); });
    EXPECT_NE(what.find(junk), std::string::npos) << what;
    std::remove(junk.c_str());
}

TEST(TlsContextFiles, KeyThatDoesNotMatchTheCertificateIsNamed) {
    const std::string key = data_file("otherhost.key");
    const std::string what = thrown_by([&] { TlsContext::server({data_file("server.pem"), key}); });
    EXPECT_NE(what.find(key), std::string::npos) << what;
}

TEST(TlsContextFiles, MissingCaFileIsNamed) {
    TlsClientConfig config;
    config.ca_file = data_file("no-such-ca.pem");
    const std::string what = thrown_by([&] { TlsContext::client(config); });
    EXPECT_NE(what.find(config.ca_file), std::string::npos) << what;
}

TEST(TlsContextFiles, LibraryIsNamed) {
    EXPECT_FALSE(netcore::tls_library().empty());
}

}  // namespace
