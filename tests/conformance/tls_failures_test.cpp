// TLS in the connection layer against bad peers and bad certificates, over real sockets: each
// failure ends its own connection with a reason, and nothing else breaks.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/time.h>
#endif

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "chat/codec.hpp"
#include "netcore/client.hpp"
#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"
#include "tls_server_check.hpp"
#include "transport.hpp"

#if NETCORE_TLS_AVAILABLE

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

// A netcore::Client's handler: says HELLO on open (before the handshake: the session holds
// it), collects what comes back and how the connection ended.
class RecordingHandler : public netcore::ConnectionHandler {
  public:
    void on_open(const netcore::ConnectionPtr& conn) override {
        conn->send(chat::encode(chat::Hello{chat::kProtocolVersion, "tls-user", ""}));
    }
    std::size_t on_data(netcore::Connection&, std::span<const std::byte> data) override {
        std::lock_guard lock(mutex_);
        received_.insert(received_.end(), data.begin(), data.end());
        cv_.notify_all();
        return data.size();
    }
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override {
        std::lock_guard lock(mutex_);
        reason_ = reason;
        tls_error_ = conn.tls_error();
        closed_ = true;
        cv_.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return pred(); });
    }
    // The first frame received, decoded.
    std::optional<chat::AnyMessage> first_message() {
        if (received_.size() < chat::kHeaderSize) return std::nullopt;
        const auto h = chat::read_header(received_.data());
        if (received_.size() < h.size) return std::nullopt;
        chat::AnyMessage msg;
        const chat::Bytes body(received_.begin() + chat::kHeaderSize, received_.begin() + h.size);
        if (chat::decode(h.type, body, msg) != chat::ErrorCode::None) return std::nullopt;
        return msg;
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::byte> received_;
    bool closed_ = false;
    netcore::CloseReason reason_{};
    std::string tls_error_;
};

// Against netcore's own TLS server (under Wine, whose Schannel has no server side, the
// Windows client is tested against a native peer instead: tests/netcore/tls_schannel_test.cpp).
class TlsClientSide : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override { SKIP_WITHOUT_TLS_SERVER(); }
};

// netcore::Client with TLS on every engine: on_open at once, HELLO held until the handshake,
// WELCOME back through the session; the connection says what it negotiated.
TEST_P(TlsClientSide, LogsInOverTls) {
    const Transport t = Transport::secure(std::string(netcore::default_engine_name()));
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    RecordingHandler handler;
    netcore::Client client(handler);
    client.start(GetParam());
    std::string error;
    auto conn = client.connect("localhost", server.port(), error, 5s, "", t.client_tls);
    ASSERT_TRUE(conn) << error;
    EXPECT_TRUE(conn->is_tls());
    ASSERT_TRUE(handler.wait([&] { return handler.first_message().has_value(); }))
        << "no answer to the HELLO sent before the handshake";
    std::lock_guard lock(handler.mutex_);
    const auto msg = *handler.first_message();
    ASSERT_TRUE(std::holds_alternative<chat::Welcome>(msg)) << TestClient::describe(msg);
    EXPECT_EQ(std::get<chat::Welcome>(msg).nick, "tls-user");
    EXPECT_FALSE(conn->tls_info()->version.empty());
    EXPECT_GT(conn->bytes_in(), handler.received_.size()) << "bytes_in counts the wire's bytes";
}

// Plaintext sent before the handshake waits in the session; past half the send queue it must
// not count as a backlog that stops the engine reading, or the handshake (which needs the
// server's answer read) never finishes and the bytes never leave.
TEST_P(TlsClientSide, BigSendBeforeTheHandshakeDoesNotStallIt) {
    const Transport t = Transport::secure(std::string(netcore::default_engine_name()));
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    RecordingHandler handler;
    netcore::ClientOptions options;
    options.max_send_queue = 64 * 1024;
    netcore::Client client(handler, options);
    client.start(GetParam());
    std::string error;
    auto conn = client.connect("localhost", server.port(), error, 5s, "", t.client_tls);
    ASSERT_TRUE(conn) << error;
    const std::string body(40000, 'b');  // with the HELLO: past half of the queue's 64 KiB
    ASSERT_TRUE(conn->send(chat::encode(chat::Echo{body})));
    const std::size_t want = chat::encode(chat::Welcome{}).size();  // at least this much more
    ASSERT_TRUE(handler.wait([&] { return handler.received_.size() > body.size() + want; }))
        << "the handshake stalled behind the plaintext it held";
}

INSTANTIATE_TEST_SUITE_P(AllEngines, TlsClientSide, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

// Connects a TLS client for `host` to a server presenting `cert`; returns how it ended.
std::pair<netcore::CloseReason, std::string> client_against(const std::string& cert,
                                                            const std::string& host) {
    auto options = test_server_options();
    options.listen_tls = true;
    options.tls = test_server_tls(cert);
    ServerUnderTest server(std::string(netcore::default_engine_name()), test_service_config(),
                           options);
    RecordingHandler handler;
    netcore::Client client(handler);
    client.start(netcore::default_engine_name());
    std::string error;
    auto conn = client.connect(host, server.port(), error, 5s, "", test_client_tls());
    EXPECT_TRUE(conn) << error;
    if (!conn) return {};
    EXPECT_TRUE(handler.wait([&] { return handler.closed_; })) << "the client was not closed";
    std::lock_guard lock(handler.mutex_);
    EXPECT_TRUE(handler.received_.empty()) << "data came through an unverified session";
    // The server saw the client's alert: its side ends too.
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }));
    return {handler.reason_, handler.tls_error_};
}

TEST(TlsFailures, ExpiredCertificateClosesTheClientWithTheReason) {
    SKIP_WITHOUT_TLS_SERVER();
    const auto [reason, why] = client_against("expired", "localhost");
    EXPECT_EQ(reason, netcore::CloseReason::TlsFailed);
    EXPECT_NE(why.find("expired"), std::string::npos) << why;
    EXPECT_STREQ(netcore::to_string(reason), "TLS failed");
}

TEST(TlsFailures, CertificateForAnotherHostClosesTheClientWithTheReason) {
    SKIP_WITHOUT_TLS_SERVER();
    for (const char* host : {"localhost", "127.0.0.1"}) {
        SCOPED_TRACE(host);
        const auto [reason, why] = client_against("otherhost", host);
        EXPECT_EQ(reason, netcore::CloseReason::TlsFailed);
        EXPECT_NE(why.find("mismatch"), std::string::npos) << why;
    }
}

// The chat server reads the ClientHello as the start of a 790-byte frame (0x16 0x03: its
// size) and waits for the rest until its HELLO timeout closes it; the client's session then
// ends before its handshake did.
TEST(TlsFailures, TlsClientOnAPlainPortFails) {
    auto config = test_service_config();
    config.handshake_timeout = 1s;
    ServerUnderTest server(std::string(netcore::default_engine_name()), config);
    RecordingHandler handler;
    netcore::Client client(handler);
    client.start(netcore::default_engine_name());
    std::string error;
    auto conn = client.connect("localhost", server.port(), error, 5s, "", test_client_tls());
    ASSERT_TRUE(conn) << error;
    ASSERT_TRUE(handler.wait([&] { return handler.closed_; }));
    {
        std::lock_guard lock(handler.mutex_);
        EXPECT_EQ(handler.reason_, netcore::CloseReason::TlsFailed);
        EXPECT_NE(handler.tls_error_.find("does not speak TLS"), std::string::npos)
            << handler.tls_error_;
    }
    // The server took the ClientHello for a bad frame and closed its side.
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }));
}

class TlsServerSide : public ::testing::TestWithParam<std::string> {};

// Someone typing into telnet on the TLS port reads why nothing works, in clear.
TEST_P(TlsServerSide, PlaintextClientGetsTheRefusalInClearAndIsClosed) {
    const Transport t = Transport::secure(GetParam());
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient plain(server.port());
    plain.send(chat::Hello{chat::kProtocolVersion, "telnet", ""});
    const auto refusal = plain.expect<chat::Error>();
    EXPECT_NE(refusal.detail.find("this port speaks TLS"), std::string::npos) << refusal.detail;
    EXPECT_TRUE(plain.wait_closed());
    plain.shutdown_write();  // as telnet does on the server's FIN
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }));
}

// A garbage record after the handshake ends that session only; the others go on.
TEST_P(TlsServerSide, GarbageRecordEndsOnlyItsOwnSession) {
    SKIP_WITHOUT_TLS_SERVER();  // it needs sessions past their handshake
    const Transport t = Transport::secure(GetParam());
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient good = t.client(server.port());
    good.login("good");
    TestClient bad = t.client(server.port());
    bad.login("bad");
    netcore::ConnectionPtr bad_conn;
    for (auto& conn : server.server.connections())
        if (!bad_conn || conn->id() > bad_conn->id()) bad_conn = conn;
    // An application-data record whose body is no ciphertext of this session.
    std::string garbage = "\x17\x03\x03";
    garbage += std::string("\x01\x00", 2) + std::string(256, 'g');
    ASSERT_EQ(::send(bad.socket(), garbage.data(), static_cast<int>(garbage.size()), 0),
              static_cast<int>(garbage.size()));
    EXPECT_TRUE(bad.wait_closed());
    bad.shutdown_write();
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 1; }));
    EXPECT_FALSE(bad_conn->tls_error().empty());
    good.send(chat::Echo{"still here"});
    EXPECT_EQ(good.expect<chat::Echo>().body, "still here");
}

// recv(), again when a signal interrupted it (an engine's threads take signals here too).
long receive_some(netcore::socket_t s, char* buf, std::size_t size) {
    for (;;) {
        const auto n = ::recv(s, buf, static_cast<int>(size), 0);
#ifndef _WIN32
        if (n < 0 && errno == EINTR) continue;
#endif
        return static_cast<long>(n);
    }
}

// Feeds what the server sends on `s` into `session` until its handshake is done (false after
// 5 s or on an error), sending its answers.
bool finish_handshake(netcore::socket_t s, netcore::TlsSession& session,
                      netcore::ByteBuffer& plain) {
#ifdef _WIN32
    const DWORD wait = 5000;
#else
    const timeval wait{5, 0};
#endif
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&wait), sizeof wait);
    while (!session.handshake_done()) {
        char chunk[16384];
        const auto n = receive_some(s, chunk, sizeof chunk);
        if (n <= 0) return false;
        netcore::ByteBuffer answer;
        const auto bytes = std::as_bytes(std::span(chunk, static_cast<std::size_t>(n)));
        if (session.receive(bytes, plain, answer) != netcore::TlsSession::Status::Ok) return false;
        if (!answer.empty())
            ::send(s, reinterpret_cast<const char*>(answer.data()), static_cast<int>(answer.size()),
                   0);
    }
    return true;
}

// The session moves with its connection in the middle of the handshake: half a ClientHello
// reaches this engine, the rest the next one, and the handshake and a login go on unbroken.
TEST_P(TlsServerSide, HandshakeSplitAcrossALiveSwitchCompletes) {
    SKIP_WITHOUT_TLS_SERVER();
    const Transport t = Transport::secure(GetParam());
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    const auto engines = engine_list();
    const auto here = std::find(engines.begin(), engines.end(), t.engine);
    const std::string next = here + 1 == engines.end() ? engines.front() : *(here + 1);

    TestClient raw(server.port());
    auto session = t.client_tls->new_session("localhost");
    netcore::ByteBuffer hello, plain;
    session->start(hello);
    raw.send_raw(hello.readable().first(hello.size() / 2));
    ASSERT_TRUE(ServerUnderTest::eventually([&] {
        const auto conns = server.server.connections();
        return conns.size() == 1 && conns[0]->bytes_in() == hello.size() / 2;
    })) << "the first half never reached the server";
    const auto conn = server.server.connections().at(0);
    std::string error;
    ASSERT_TRUE(server.server.switch_engine(next, error)) << error;
    raw.send_raw(hello.readable().subspan(hello.size() / 2));
    ASSERT_TRUE(finish_handshake(raw.socket(), *session, plain))
        << "client: " << session->error() << "; server: " << conn->tls_error() << " after "
        << conn->bytes_in() << " of " << hello.size() << " bytes";

    netcore::ByteBuffer records;
    const auto frame = chat::encode(chat::Hello{chat::kProtocolVersion, "switcher", ""});
    ASSERT_EQ(session->send(frame, records), netcore::TlsSession::Status::Ok);
    ASSERT_TRUE(server.server.switch_engine(t.engine, error)) << error;
    raw.send_raw(records.readable());
    // The WELCOME, decrypted.
    while (plain.size() < chat::kHeaderSize ||
           plain.size() < chat::read_header(plain.data()).size) {
        char chunk[16384];
        const auto n = receive_some(raw.socket(), chunk, sizeof chunk);
        ASSERT_GT(n, 0) << "no WELCOME";
        netcore::ByteBuffer answer;
        ASSERT_EQ(session->receive(std::as_bytes(std::span(chunk, static_cast<std::size_t>(n))),
                                   plain, answer),
                  netcore::TlsSession::Status::Ok)
            << session->error();
    }
    const auto h = chat::read_header(plain.data());
    EXPECT_EQ(h.type, static_cast<std::uint16_t>(chat::MsgType::Welcome));
}

INSTANTIATE_TEST_SUITE_P(AllEngines, TlsServerSide, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

// A client that connects to the TLS port and never completes a handshake (sends nothing, or
// half a ClientHello) is closed by the chat service's handshake timeout; with no handshake
// there is no close_notify to exchange, and the linger bound ends a close the client never
// answers.
TEST(TlsFailures, HandshakeThatNeverFinishesIsClosedWithinTheBound) {
    auto config = test_service_config();
    config.handshake_timeout = 1s;
    auto options = Transport::secure("").options();
    options.linger_timeout = 500ms;
    ServerUnderTest server(std::string(netcore::default_engine_name()), config, options);

    netcore::ByteBuffer hello;
    test_client_tls()->new_session("localhost")->start(hello);
    ASSERT_GT(hello.size(), 10u);

    const auto started = std::chrono::steady_clock::now();
    TestClient silent(server.port());
    TestClient halfway(server.port());
    halfway.send_raw(hello.readable().first(hello.size() / 2));
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 2; }));
    // Neither ever closes its side: the server's close must not wait for them.
    const auto bound = config.handshake_timeout + options.linger_timeout + 1500ms;  // + slack
    EXPECT_TRUE(
        ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }, bound))
        << server.server.connection_count() << " connection(s) still open after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(bound).count() << " ms";
    EXPECT_GE(std::chrono::steady_clock::now() - started, config.handshake_timeout - 100ms)
        << "closed before the handshake timeout";
    EXPECT_TRUE(silent.wait_closed(1s));
    EXPECT_TRUE(halfway.wait_closed(1s));
}

TEST(TlsFailures, TlsListenerWithoutAContextIsAClearError) {
    auto options = test_server_options();
    options.listen_tls = true;
    chat::ChatService service(test_service_config());
    netcore::Server server(service, options);
    try {
        server.start(netcore::default_engine_name());
        FAIL() << "started a TLS listener without a certificate";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
    }
}

// Plaintext and TLS listeners side by side: each connection gets what its listener speaks.
TEST(TlsFailures, PlainAndTlsListenersServeTogether) {
    SKIP_WITHOUT_TLS_SERVER();
    auto options = test_server_options();
    options.tls = test_server_tls();
    options.more_listeners.push_back({"127.0.0.1", 0, true});
    ServerUnderTest server(std::string(netcore::default_engine_name()), test_service_config(),
                           options);
    const std::uint16_t tls_port = server.server.listening().at(1).port;
    EXPECT_TRUE(server.server.listening().at(1).tls);
    TestClient plain(server.port());
    plain.login("plain");
    TestClient secure(tls_port, 0, test_client_tls());
    ASSERT_EQ(secure.tls_error(), "");
    secure.login("secure");
    int tls_conns = 0;
    for (auto& conn : server.server.connections()) tls_conns += conn->is_tls() ? 1 : 0;
    EXPECT_EQ(tls_conns, 1);
}

}  // namespace

#endif  // NETCORE_TLS_AVAILABLE
