// The Schannel TlsSession (Windows build, run under Wine by ctest): its credentials from the
// PEM files, what its server side can do here, and its client side over real sockets against a
// native OpenSSL peer (tests/support/tls_peer.py, started by with_tls_peer.sh, which names its
// ports in NETCHAT_TLS_PEER): verification, records split at any byte, close_notify, and a
// netcore::Client carrying a Schannel session on every Windows engine, and (roles reversed)
// a netcore::Server whose Schannel client session survives a live switch to every engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "netcore/client.hpp"
#include "netcore/engine_registry.hpp"
#include "netcore/platform.hpp"
#include "netcore/server.hpp"
#include "netcore/tls.hpp"
#include "tls_server_check.hpp"

namespace netcore {
namespace {

using Status = TlsSession::Status;
using Clock = std::chrono::steady_clock;

std::string data_file(const char* name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}

std::span<const std::byte> bytes(const std::string& s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string text(const ByteBuffer& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string thrown_by(const std::function<void()>& call) {
    try {
        call();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

TEST(TlsSchannel, LibraryIsSchannel) {
    EXPECT_EQ(tls_library(), "Schannel");
}

// --- Credentials from PEM files -------------------------------------------------------------

TEST(TlsSchannelCredentials, ServerTakesPemCertificateAndPkcs8Key) {
    auto context = TlsContext::server({data_file("server.pem"), data_file("server.key")});
    ASSERT_TRUE(context);
    EXPECT_TRUE(context->is_server());
    EXPECT_TRUE(context->new_session());
}

TEST(TlsSchannelCredentials, ServerTakesPkcs1Key) {
    auto context = TlsContext::server({data_file("server.pem"), data_file("server-pkcs1.key")});
    EXPECT_TRUE(context->is_server());
}

TEST(TlsSchannelCredentials, TwoServerContextsAtOnce) {
    auto a = TlsContext::server({data_file("server.pem"), data_file("server.key")});
    auto b = TlsContext::server({data_file("otherhost.pem"), data_file("otherhost.key")});
    EXPECT_TRUE(a->new_session());
    EXPECT_TRUE(b->new_session());
}

class TempFile {
  public:
    explicit TempFile(const std::string& content) {
        static int serial = 0;
        path_ = (std::filesystem::temp_directory_path() /
                 ("netchat-tls-test-" + std::to_string(GetCurrentProcessId()) + "-" +
                  std::to_string(serial++) + ".pem"))
                    .string();
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

TEST(TlsSchannelCredentials, MissingFilesAreNamed) {
    const std::string missing = data_file("no-such-file.pem");
    EXPECT_NE(thrown_by([&] {
                  TlsContext::server({missing, data_file("server.key")});
              }).find("certificate file '" + missing + "'"),
              std::string::npos);
    EXPECT_NE(thrown_by([&] {
                  TlsContext::server({data_file("server.pem"), missing});
              }).find("private key file '" + missing + "'"),
              std::string::npos);
    EXPECT_NE(thrown_by([&] {
                  TlsContext::client({missing, true});
              }).find("CA file '" + missing + "'"),
              std::string::npos);
}

TEST(TlsSchannelCredentials, FilesWithoutPemAreNamed) {
    TempFile junk("this is no PEM file\n");
    const std::string cert_error = thrown_by([&] {
        TlsContext::server({junk.path(), data_file("server.key")});
    });
    EXPECT_NE(cert_error.find("certificate file '" + junk.path() + "' holds no PEM certificate"),
              std::string::npos)
        << cert_error;
    const std::string key_error = thrown_by([&] {
        TlsContext::server({data_file("server.pem"), junk.path()});
    });
    EXPECT_NE(key_error.find("private key file '" + junk.path() + "' holds no PEM private key"),
              std::string::npos)
        << key_error;
    // A certificate where the key should be is no key either.
    EXPECT_NE(thrown_by([&] {
                  TlsContext::server({data_file("server.pem"), data_file("ca.pem")});
              }).find("holds no PEM private key"),
              std::string::npos);
}

TEST(TlsSchannelCredentials, DamagedPemIsNamed) {
    TempFile damaged("-----BEGIN PRIVATE KEY-----\nMIIB!!!notbase64\n-----END PRIVATE KEY-----\n");
    const std::string error = thrown_by([&] {
        TlsContext::server({data_file("server.pem"), damaged.path()});
    });
    EXPECT_NE(error.find("private key file '" + damaged.path() + "'"), std::string::npos) << error;
}

TEST(TlsSchannelCredentials, KeyOfAnotherCertificateIsRefused) {
    const std::string error = thrown_by([&] {
        TlsContext::server({data_file("server.pem"), data_file("otherhost.key")});
    });
    EXPECT_NE(error.find("private key file '" + data_file("otherhost.key") +
                         "' does not match certificate file '" + data_file("server.pem") + "'"),
              std::string::npos)
        << error;
}

TEST(TlsSchannelCredentials, EncryptedKeyIsRefusedClearly) {
    TempFile encrypted(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n");
    EXPECT_NE(thrown_by([&] {
                  TlsContext::server({data_file("server.pem"), encrypted.path()});
              }).find("encrypted key"),
              std::string::npos);
}

// --- The server side ------------------------------------------------------------------------

// A client and a server session through memory. Wine's Schannel has no AcceptSecurityContext
// (its function table leaves it empty, so secur32 answers SEC_E_UNSUPPORTED_FUNCTION): under
// Wine this checks that the server session fails with exactly that and says why; on Windows,
// that the two sessions complete a handshake and carry bytes both ways.
TEST(TlsSchannelServer, MemoryHandshakeOrWinesExactLimit) {
    auto server_ctx = TlsContext::server({data_file("server.pem"), data_file("server.key")});
    auto client_ctx = TlsContext::client({data_file("ca.pem"), true});
    auto server = server_ctx->new_session();
    auto client = client_ctx->new_session("localhost");
    ByteBuffer to_server, to_client, plain_at_server, plain_at_client;
    client->start(to_server);
    ASSERT_FALSE(to_server.empty()) << "no ClientHello";
    ASSERT_EQ(client->send(bytes("ping"), to_server), Status::Ok);
    for (int round = 0; round < 10 && !(client->handshake_done() && server->handshake_done());
         ++round) {
        ByteBuffer in;
        in.swap(to_server);
        const Status s = server->receive(in.readable(), plain_at_server, to_client);
        if (testing_support::running_under_wine()) {
            ASSERT_EQ(s, Status::Failed);
            EXPECT_NE(server->error().find("SEC_E_UNSUPPORTED_FUNCTION (0x80090302)"),
                      std::string::npos)
                << server->error();
            GTEST_SKIP() << "Wine's Schannel has no server side: " << server->error();
        }
        ASSERT_EQ(s, Status::Ok) << server->error();
        in.clear();
        in.swap(to_client);
        ASSERT_EQ(client->receive(in.readable(), plain_at_client, to_server), Status::Ok)
            << client->error();
    }
    ASSERT_TRUE(client->handshake_done());
    ASSERT_TRUE(server->handshake_done());
    ByteBuffer in;
    in.swap(to_server);
    ASSERT_EQ(server->receive(in.readable(), plain_at_server, to_client), Status::Ok);
    EXPECT_EQ(text(plain_at_server), "ping");
    EXPECT_FALSE(server->info().version.empty());
}

// --- The client side against a native OpenSSL server ----------------------------------------

std::map<std::string, int> peer_ports() {
    std::map<std::string, int> ports;
    const char* spec = std::getenv("NETCHAT_TLS_PEER");
    if (!spec) return ports;
    std::istringstream in(spec);
    std::string item;
    while (in >> item) {
        const auto eq = item.find('=');
        if (eq != std::string::npos) ports[item.substr(0, eq)] = std::stoi(item.substr(eq + 1));
    }
    return ports;
}

// A client session on a real TCP connection to the peer; every wait bounded.
class PeerClient {
  public:
    PeerClient(const std::string& kind, const TlsClientConfig& config,
               const std::string& host = "localhost") {
        init_sockets();
        const auto ports = peer_ports();
        const auto it = ports.find(kind);
        if (it == ports.end()) {
            ADD_FAILURE() << "no '" << kind << "' peer: run through ctest (with_tls_peer.sh)";
            return;
        }
        sock_ = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<u_short>(it->second));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(sock_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            ADD_FAILURE() << "cannot connect to the '" << kind << "' peer";
            return;
        }
        DWORD timeout_ms = 200;
        setsockopt(sock_, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&timeout_ms),
                   sizeof timeout_ms);
        session_ = TlsContext::client(config)->new_session(host);
        session_->start(out_);
        flush();
    }
    ~PeerClient() {
        if (sock_ != kInvalidSocket) close_socket(sock_);
    }

    TlsSession& session() { return *session_; }
    bool connected() const { return session_ != nullptr; }
    ByteBuffer& plain() { return plain_; }
    Status status() const { return status_; }

    // Feeds what arrives within one receive timeout to the session, `slice` bytes per call.
    // False once the peer has closed the TCP connection.
    bool pump(std::size_t slice = 0) {
        char chunk[64 * 1024];
        const int n = ::recv(sock_, chunk, sizeof chunk, 0);
        if (n == 0) return false;
        if (n < 0) return WSAGetLastError() == WSAETIMEDOUT;
        feed({reinterpret_cast<const std::byte*>(chunk), static_cast<std::size_t>(n)}, slice);
        return true;
    }

    // Waits (at most 5 s) until bytes are waiting and no more have come for 200 ms.
    void settle() {
        const auto until = Clock::now() + std::chrono::seconds(5);
        u_long last = 0;
        auto unchanged_since = Clock::now();
        while (Clock::now() < until) {
            u_long waiting = 0;
            ioctlsocket(sock_, FIONREAD, &waiting);
            if (waiting != last) {
                last = waiting;
                unchanged_since = Clock::now();
            } else if (waiting > 0 &&
                       Clock::now() - unchanged_since >= std::chrono::milliseconds(200)) {
                return;
            }
            Sleep(20);
        }
    }

    void feed(std::span<const std::byte> in, std::size_t slice) {
        if (slice == 0) slice = in.size();
        while (!in.empty() && status_ == Status::Ok) {
            const std::size_t n = std::min(slice, in.size());
            status_ = session_->receive(in.first(n), plain_, out_);
            in = in.subspan(n);
        }
        flush();
    }

    bool handshake(std::size_t slice = 0) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (!session_->handshake_done() && status_ == Status::Ok && Clock::now() < deadline)
            if (!pump(slice)) break;
        return session_->handshake_done() && status_ == Status::Ok;
    }

    void send(const std::string& s) {
        EXPECT_EQ(session_->send(bytes(s), out_), Status::Ok) << session_->error();
        flush();
    }

    // Reads until `n` plaintext bytes have come (or 10 s, or the end).
    std::string read(std::size_t n, std::size_t slice = 0) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (plain_.size() < n && status_ == Status::Ok && Clock::now() < deadline)
            if (!pump(slice)) break;
        return text(plain_);
    }

    void close() {
        session_->close(out_);
        flush();
    }

    void flush() {
        while (!out_.empty()) {
            const int n = ::send(sock_, reinterpret_cast<const char*>(out_.data()),
                                 static_cast<int>(out_.size()), 0);
            if (n <= 0) return;
            out_.consume(static_cast<std::size_t>(n));
        }
    }

  private:
    socket_t sock_ = kInvalidSocket;
    std::unique_ptr<TlsSession> session_;
    ByteBuffer out_, plain_;
    Status status_ = Status::Ok;
};

TlsClientConfig trusting_test_ca() {
    return {data_file("ca.pem"), true};
}

TEST(TlsSchannelClient, VerifiesHandshakesAndEchoes) {
    PeerClient client("tls13", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.handshake()) << client.session().error();
    const TlsInfo info = client.session().info();
    EXPECT_TRUE(info.version == "TLSv1.3" || info.version == "TLSv1.2") << info.version;
    EXPECT_FALSE(info.cipher.empty());
    std::printf("negotiated %s %s\n", info.version.c_str(), info.cipher.c_str());
    client.send("hello over schannel\n");
    EXPECT_EQ(client.read(20), "hello over schannel\n");
}

TEST(TlsSchannelClient, Tls12HandshakeAndDataInTheSameReadAsTheLastFlight) {
    PeerClient client("tls12", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    // The server says "welcome" right after its Finished: let both arrive (until nothing more
    // has come for a while), then feed them to the session in one receive(), which must
    // finish the handshake and keep the data.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!client.session().handshake_done() && client.status() == Status::Ok &&
           Clock::now() < deadline) {
        client.settle();
        if (!client.pump()) break;
    }
    ASSERT_TRUE(client.session().handshake_done()) << client.session().error();
    EXPECT_EQ(client.session().info().version, "TLSv1.2");
    EXPECT_EQ(text(client.plain()), "welcome\n") << "the data after the Finished was not kept";
    EXPECT_EQ(client.read(8), "welcome\n");
}

TEST(TlsSchannelClient, RecordsSplitAtEveryByte) {
    PeerClient client("tls13", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.handshake(1)) << client.session().error();  // one byte per receive()
    client.send("split");
    EXPECT_EQ(client.read(5, 1), "split");
    client.send("three bytes at a time");
    EXPECT_EQ(client.read(26, 3), "splitthree bytes at a time");
}

TEST(TlsSchannelClient, LargeTransferSpansManyRecords) {
    PeerClient client("tls13", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.handshake()) << client.session().error();
    std::string big(300 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i * 7 % 26);
    client.send(big);  // > 16 KB: several records of cbMaximumMessage
    const std::string echoed = client.read(big.size());
    ASSERT_EQ(echoed.size(), big.size());
    EXPECT_TRUE(echoed == big);
}

TEST(TlsSchannelClient, BytesSentBeforeTheHandshakeWaitThenGo) {
    PeerClient client("tls13", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    client.send("early bytes");
    EXPECT_EQ(client.session().held_bytes(), 11u);
    ASSERT_TRUE(client.handshake()) << client.session().error();
    EXPECT_EQ(client.session().held_bytes(), 0u);
    EXPECT_EQ(client.read(11), "early bytes");
}

// The peer answers a close_notify with its own, and only a clean close_notify (a bare FIN is
// an error to it): seeing Closed proves ours was a real close_notify record.
TEST(TlsSchannelClient, CloseNotifyBothWays) {
    PeerClient client("tls13", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.handshake()) << client.session().error();
    client.send("bye");
    EXPECT_EQ(client.read(3), "bye");
    client.close();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (client.status() == Status::Ok && Clock::now() < deadline)
        if (!client.pump()) break;
    EXPECT_EQ(client.status(), Status::Closed) << client.session().error();
}

// TLS 1.2 is the minimum: a server that offers at most 1.1 is refused in the handshake.
TEST(TlsSchannelClient, ServerBelowTls12IsRefused) {
    for (bool verify : {true, false}) {
        PeerClient client("tls11", TlsClientConfig{data_file("ca.pem"), verify});
        ASSERT_TRUE(client.connected());
        EXPECT_FALSE(client.handshake()) << "negotiated " << client.session().info().version;
        EXPECT_EQ(client.status(), Status::Failed);
        EXPECT_NE(client.session().error().find("handshake failed"), std::string::npos)
            << client.session().error();
        std::printf("refused: %s\n", client.session().error().c_str());
    }
}

TEST(TlsSchannelClient, ExpiredCertificateFails) {
    PeerClient client("expired", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    EXPECT_FALSE(client.handshake());
    EXPECT_EQ(client.status(), Status::Failed);
    EXPECT_NE(client.session().error().find("expired"), std::string::npos)
        << client.session().error();
}

TEST(TlsSchannelClient, CertificateForAnotherHostFails) {
    PeerClient client("otherhost", trusting_test_ca());
    ASSERT_TRUE(client.connected());
    EXPECT_FALSE(client.handshake());
    EXPECT_NE(client.session().error().find("not for host 'localhost'"), std::string::npos)
        << client.session().error();
}

TEST(TlsSchannelClient, WrongHostNameFails) {
    PeerClient client("tls13", trusting_test_ca(), "other.example");
    ASSERT_TRUE(client.connected());
    EXPECT_FALSE(client.handshake());
    EXPECT_NE(client.session().error().find("not for host 'other.example'"), std::string::npos)
        << client.session().error();
}

TEST(TlsSchannelClient, UnknownCaFailsAgainstTheSystemStore) {
    PeerClient client("tls13", TlsClientConfig{"", true});
    ASSERT_TRUE(client.connected());
    EXPECT_FALSE(client.handshake());
    EXPECT_NE(client.session().error().find("certificate verify failed"), std::string::npos)
        << client.session().error();
}

TEST(TlsSchannelClient, InsecureSkipsChainAndName) {
    for (const char* kind : {"expired", "otherhost"}) {
        PeerClient client(kind, TlsClientConfig{"", false});
        ASSERT_TRUE(client.connected());
        ASSERT_TRUE(client.handshake()) << kind << ": " << client.session().error();
        client.send("ok");
        EXPECT_EQ(client.read(2), "ok") << kind;
    }
}

TEST(TlsSchannelClient, IpAddressIsCheckedAgainstTheCertificate) {
    PeerClient named("tls13", trusting_test_ca(), "127.0.0.1");  // an iPAddress of server.pem
    ASSERT_TRUE(named.connected());
    ASSERT_TRUE(named.handshake()) << named.session().error();
    PeerClient other("tls13", trusting_test_ca(), "127.0.0.2");  // same peer, not named
    ASSERT_TRUE(other.connected());
    EXPECT_FALSE(other.handshake());
    EXPECT_NE(other.session().error().find("not for host '127.0.0.2'"), std::string::npos)
        << other.session().error();
}

TEST(TlsSchannelClient, GarbageFromTheServerFails) {
    auto session = TlsContext::client(trusting_test_ca())->new_session("localhost");
    ByteBuffer out, plain;
    session->start(out);
    const std::string garbage = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    EXPECT_EQ(session->receive(bytes(garbage), plain, out), Status::Failed);
    EXPECT_NE(session->error().find("does not speak TLS"), std::string::npos) << session->error();
    EXPECT_EQ(session->receive(bytes(garbage), plain, out), Status::Failed);  // and stays so
}

// --- Every Windows engine carries the session ------------------------------------------------

// Collects what a netcore::Client connection receives and how it ended.
class EchoHandler : public ConnectionHandler {
  public:
    explicit EchoHandler(std::string first_words) : first_words_(std::move(first_words)) {}
    void on_open(const ConnectionPtr& conn) override {
        conn->send(bytes(first_words_));  // before the handshake: the session holds it
    }
    std::size_t on_data(Connection&, std::span<const std::byte> data) override {
        std::lock_guard lock(mutex_);
        received_.append(reinterpret_cast<const char*>(data.data()), data.size());
        cv_.notify_all();
        return data.size();
    }
    void on_close(Connection& conn, CloseReason reason) override {
        std::lock_guard lock(mutex_);
        closed_ = true;
        reason_ = reason;
        tls_error_ = conn.tls_error();
        cv_.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(15), pred);
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::string received_;
    bool closed_ = false;
    CloseReason reason_{};
    std::string tls_error_;

  private:
    const std::string first_words_;
};

class TlsSchannelEngines : public ::testing::TestWithParam<std::string> {};

// The peer echoes: the words sent before the handshake, then 200 KB (many records) come back
// through the engine under test; a close sends close_notify, which the peer answers in kind.
TEST_P(TlsSchannelEngines, ClientSessionRidesTheEngine) {
    const auto ports = peer_ports();
    ASSERT_TRUE(ports.count("tls13")) << "run through ctest (with_tls_peer.sh)";
    EchoHandler handler("held until the handshake;");
    Client client(handler);
    client.start(GetParam());
    std::string error;
    auto conn = client.connect("localhost", static_cast<std::uint16_t>(ports.at("tls13")), error,
                               std::chrono::seconds(5), "", TlsContext::client(trusting_test_ca()));
    ASSERT_TRUE(conn) << error;
    std::string expected = "held until the handshake;";
    ASSERT_TRUE(handler.wait([&] { return handler.received_.size() >= expected.size(); }))
        << handler.tls_error_;
    std::string big(200 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
    conn->send(bytes(big));
    expected += big;
    ASSERT_TRUE(handler.wait([&] { return handler.received_.size() >= expected.size(); }))
        << handler.received_.size() << " of " << expected.size() << " bytes came back";
    {
        std::lock_guard lock(handler.mutex_);
        EXPECT_TRUE(handler.received_ == expected);
    }
    ASSERT_TRUE(conn->tls_info());
    EXPECT_FALSE(conn->tls_info()->version.empty());
    conn->close();
    EXPECT_TRUE(handler.wait([&] { return handler.closed_; }));
    EXPECT_TRUE(handler.tls_error_.empty()) << handler.tls_error_;
    client.stop();
}

std::vector<std::string> engine_names_here() {
    std::vector<std::string> names;
    for (const auto& e : engines()) names.emplace_back(e.name);
    return names;
}

// Role reversal (Wine's Schannel has no server side): a netcore::Server whose TLS listener
// is given a *client* context runs a Schannel client session on the connection it accepts;
// the peer's "dialer" connects to it and plays the TLS server (echo). The session verifies
// the peer's server.pem against ca.pem and for host "localhost" (tls_client_host).
class SwitchEchoHandler : public ConnectionHandler {
  public:
    void on_open(const ConnectionPtr& conn) override {
        std::lock_guard lock(mutex_);
        ++opened_;
        conn_ = conn;
        cv_.notify_all();
    }
    std::size_t on_data(Connection&, std::span<const std::byte> data) override {
        std::lock_guard lock(mutex_);
        received_.append(reinterpret_cast<const char*>(data.data()), data.size());
        cv_.notify_all();
        return data.size();
    }
    void on_close(Connection& conn, CloseReason reason) override {
        std::lock_guard lock(mutex_);
        ++closed_;
        reason_ = reason;
        tls_error_ = conn.tls_error();
        cv_.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, std::chrono::seconds(15), pred);
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    ConnectionPtr conn_;
    int opened_ = 0;
    int closed_ = 0;
    CloseReason reason_{};
    std::string tls_error_;
    std::string received_;
};

bool operator==(const TlsInfo& a, const TlsInfo& b) {
    return a.version == b.version && a.cipher == b.cipher;
}

// Asks the peer's dialer to connect to `port` and play the TLS server there.
bool ask_peer_to_dial(std::uint16_t port) {
    const auto ports = peer_ports();
    if (!ports.count("dialer")) return false;
    socket_t s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<u_short>(ports.at("dialer")));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const std::string line = std::to_string(port) + "\n";
    const bool ok =
        ::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
        ::send(s, line.data(), static_cast<int>(line.size()), 0) == static_cast<int>(line.size());
    close_socket(s);
    return ok;
}

// 2000 numbered lines of 100 bytes go out in 20 batches while the server switches to another
// engine after every batch (every other engine at least once, with echoes still in flight):
// every line comes back once and in order, on the one connection, over the one handshake.
TEST_P(TlsSchannelEngines, SessionSurvivesEverySwitch) {
    init_sockets();
    const std::vector<std::string> all = engine_names_here();
    SwitchEchoHandler handler;
    ServerOptions options;
    options.port = 0;
    options.listen_tls = true;
    options.tls = TlsContext::client(trusting_test_ca());
    options.tls_client_host = "localhost";
    Server server(handler, options);
    server.start(GetParam());
    ASSERT_TRUE(ask_peer_to_dial(server.port())) << "run through ctest (with_tls_peer.sh)";
    ASSERT_TRUE(handler.wait([&] { return handler.opened_ == 1; }));
    ConnectionPtr conn;
    {
        std::lock_guard lock(handler.mutex_);
        conn = handler.conn_;
    }
    const auto handshaken = [&] { return !conn->tls_info()->version.empty(); };
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!handshaken() && Clock::now() < deadline && conn->tls_error().empty()) Sleep(10);
    ASSERT_TRUE(handshaken()) << conn->tls_error();
    const TlsInfo info = *conn->tls_info();

    constexpr int kLines = 2000, kBatches = 20;
    std::vector<std::string> sent;
    std::size_t sent_bytes = 0;
    std::vector<std::string> visited{GetParam()};
    std::size_t next_engine = 0;
    int switches_with_echoes_due = 0;  // the point: switches while bytes are on their way
    for (int batch = 0; batch < kBatches; ++batch) {
        std::string burst;
        for (int i = batch * kLines / kBatches; i < (batch + 1) * kLines / kBatches; ++i) {
            char line[128];
            std::snprintf(line, sizeof line, "line %05d %.88s\n", i,
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          "abcdefghijklmnopqrstuvwxyz..");
            sent.emplace_back(line);
            sent_bytes += sent.back().size();
            burst += line;
        }
        ASSERT_TRUE(conn->send(bytes(burst)));
        std::string target;
        do {
            target = all[next_engine++ % all.size()];
        } while (target == server.engine_name());
        {
            std::lock_guard lock(handler.mutex_);
            if (handler.received_.size() < sent_bytes) ++switches_with_echoes_due;
        }
        std::string error;
        ASSERT_TRUE(server.switch_engine(target, error)) << "to " << target << ": " << error;
        visited.push_back(target);
        ASSERT_EQ(server.connection_count(), 1u) << "after the switch to " << target;
        ASSERT_TRUE(*conn->tls_info() == info) << "the session changed at " << target;
    }
    EXPECT_GT(switches_with_echoes_due, 0) << "every switch came after all echoes";
    for (const std::string& name : all)
        EXPECT_NE(std::find(visited.begin(), visited.end(), name), visited.end()) << name;

    ASSERT_TRUE(handler.wait([&] { return handler.received_.size() >= sent_bytes; }))
        << handler.received_.size() << " of " << sent_bytes << " bytes came back";
    {
        std::lock_guard lock(handler.mutex_);
        std::vector<std::string> lines;
        std::istringstream in(handler.received_);
        for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
        ASSERT_EQ(lines.size(), sent.size());
        for (std::size_t i = 0; i < sent.size(); ++i)
            ASSERT_EQ(lines[i], sent[i]) << "line " << i << " (engines " << visited.size() << ")";
        EXPECT_EQ(handler.opened_, 1);
        EXPECT_EQ(handler.closed_, 0)
            << "closed mid-burst: " << to_string(handler.reason_) << " " << handler.tls_error_;
    }
    EXPECT_TRUE(*conn->tls_info() == info);
    std::printf("%s: %zu lines over %s %s, %zu engines in turn, %d switches with echoes due\n",
                GetParam().c_str(), sent.size(), info.version.c_str(), info.cipher.c_str(),
                visited.size(), switches_with_echoes_due);

    conn->close();  // close_notify; the peer answers with its own
    ASSERT_TRUE(handler.wait([&] { return handler.closed_ == 1; }));
    EXPECT_EQ(handler.reason_, CloseReason::Requested) << to_string(handler.reason_);
    EXPECT_TRUE(handler.tls_error_.empty()) << handler.tls_error_;
    server.stop();
}

INSTANTIATE_TEST_SUITE_P(AllEngines, TlsSchannelEngines, ::testing::ValuesIn(engine_names_here()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace netcore
