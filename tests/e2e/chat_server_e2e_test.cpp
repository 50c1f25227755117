// The chat_server binary as a user runs it: a process, its command line, stdin and signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "netcore/engine_registry.hpp"
#include "server_process.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"
#include "trickling_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

class ChatServerProcess : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatServerProcess, ServesTheProtocolAndStopsGracefullyOnSigterm) {
    ServerProcess server(kServer, with_prefix({"--engine", GetParam(), "--port", "0"}));
    std::string engine;
    const std::uint16_t port = server.wait_listening(&engine);
    ASSERT_NE(port, 0) << "no 'listening on' line";
    EXPECT_EQ(engine, GetParam());

    TestClient a(port), b(port);
    EXPECT_EQ(a.login("에이").engine, GetParam());
    b.login("bee");
    a.join("lobby");
    b.join("lobby");
    a.expect<chat::RoomEvent>();
    a.send(chat::Say{"lobby", "안녕, bee"});
    EXPECT_EQ(a.expect<chat::Message>().text, "안녕, bee");
    EXPECT_EQ(b.expect<chat::Message>().from, "에이");
    a.send(chat::Echo{std::string(60000, 'e')});
    EXPECT_EQ(a.expect<chat::Echo>().body.size(), 60000u);

    server.signal(kStopSignal);
    EXPECT_EQ(a.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(b.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_TRUE(a.wait_closed());
    EXPECT_EQ(server.wait_exit(), 0);
}

// Revision 2: a room's history lives as long as the process. The next process starts every room
// under a new epoch, and a client resuming with the old one is told the room started over;
// --history caps what is kept, and the count of what is lost is exact.
TEST_P(ChatServerProcess, HistoryStartsOverUnderANewEpochWhenTheProcessRestarts) {
    std::uint64_t old_epoch = 0;
    {
        ServerProcess server(
            kServer, with_prefix({"--engine", GetParam(), "--port", "0", "--history", "3"}));
        const std::uint16_t port = server.wait_listening();
        ASSERT_NE(port, 0);
        TestClient ada(port), bob(port);
        ada.login("ada");
        bob.login("bob");
        ada.join("r");
        for (int i = 1; i <= 5; ++i) ada.send(chat::Say{"r", "m" + std::to_string(i)});
        for (int i = 1; i <= 5; ++i) ada.expect<chat::Message>();
        bob.send(chat::Resume{"r", 0, 0, 100});
        const auto r = bob.expect<chat::Resumed>();
        old_epoch = r.epoch;
        EXPECT_EQ(r.next_seq, 3u) << "--history 3 keeps 3..5";
        EXPECT_EQ(r.live_seq, 6u);
        EXPECT_EQ(bob.expect<chat::Message>().text, "m3");
        server.signal(kStopSignal);
        EXPECT_EQ(server.wait_exit(), 0);
    }
    ServerProcess server(kServer, with_prefix({"--engine", GetParam(), "--port", "0"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient bob(port);
    bob.login("bob");
    bob.send(chat::Resume{"r", old_epoch, 5, 100});
    const auto r = bob.expect<chat::Resumed>();
    EXPECT_NE(r.epoch, old_epoch) << "a restarted server kept the old epoch";
    EXPECT_EQ(r.next_seq, 1u);
    EXPECT_EQ(r.live_seq, 1u);
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, ChatServerProcess, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

// The blocking engine's threads sit in recv(); while a client sends something at least every
// 100 ms, leaving that engine (and a shutdown) used to wait for as long as the client kept
// sending. Both are bounded now, whatever the client does.
TEST(ChatServerBounds, LeavingBlockingAndStoppingAreQuickWhileAClientTrickles) {
    ServerProcess server(kServer, with_prefix({"--engine", "blocking", "--port", "0"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    std::string other;  // the platform's first engine after blocking
    for (const auto& e : engine_list())
        if (e != "blocking" && other.empty()) other = e;
    TricklingClient pinger(port, "pinger", TricklingClient::Kind::Ping, 50ms);
    std::this_thread::sleep_for(300ms);

    // The engine switch bound of the conformance suite (1 s, see stop_bounds_test.cpp) plus
    // the trip through stdin and stdout.
    auto start = std::chrono::steady_clock::now();
    server.command("/engine " + other);
    EXPECT_EQ(server.read_line(5s), "engine " + other);
    const auto switched = std::chrono::steady_clock::now() - start;
    EXPECT_LT(switched, 1500ms) << "/engine waited on a client that keeps sending";
    server.command("/engine blocking");
    EXPECT_EQ(server.read_line(5s), "engine blocking");

    // After BYE a session's close may take the linger timeout (2 s; this client never closes,
    // so it is aborted then), then the engine stops (bounded like a switch) and the process
    // exits: 4 s is ample for that, even under Wine, and far below "as long as the client
    // keeps sending" (its 30 s life here).
    start = std::chrono::steady_clock::now();
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(10s), 0);
    const auto stopped = std::chrono::steady_clock::now() - start;
    EXPECT_LT(stopped, 4s) << "the shutdown waited on a client that keeps sending";
    std::printf("[ bounds ] chat_server: /engine blocking -> %s %lld ms, stop %lld ms\n",
                other.c_str(),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(switched).count()),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(stopped).count()));
    EXPECT_TRUE(pinger.saw_bye());
    EXPECT_EQ(pinger.error(), "");
}

TEST(ChatServerConsole, OperatorCommandsWorkWhileClientsChat) {
    ServerProcess server(kServer, with_prefix({"--port", "0", "--name", "e2e"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient a(port), b(port);
    EXPECT_EQ(a.login("alice").server_name, "e2e");
    b.login("bob");

    // Every engine in turn, with an ECHO round trip on each.
    for (const auto& engine : engine_list()) {
        server.command("/engine " + engine);
        EXPECT_EQ(server.read_line(), "engine " + engine);
        a.send(chat::Echo{"on " + engine});
        EXPECT_EQ(a.expect<chat::Echo>().body, "on " + engine);
        a.send(chat::InfoReq{});
        EXPECT_EQ(a.expect<chat::Info>().engine, engine);
    }
    server.command("/engine no-such-engine");
    EXPECT_NE(server.read_line().value_or("").find("error: unknown engine"), std::string::npos);

    server.command("/notice 점검 예정");
    EXPECT_EQ(server.read_line(), "notice sent");
    EXPECT_EQ(a.expect<chat::Notice>().text, "점검 예정");
    EXPECT_EQ(b.expect<chat::Notice>().text, "점검 예정");

    server.command("/stats");
    const auto stats = server.read_line().value_or("");
    EXPECT_NE(stats.find("sessions=2"), std::string::npos) << stats;

    server.command("/kick bob");
    EXPECT_EQ(server.read_line(), "kicked bob");
    EXPECT_EQ(b.expect<chat::Bye>().reason, "kicked by the operator");
    EXPECT_TRUE(b.wait_closed());
    server.command("/kick bob");
    EXPECT_EQ(server.read_line(), "error: no user bob");
    server.command("/bogus");
    EXPECT_NE(server.read_line().value_or("").find("unknown command"), std::string::npos);

    server.command("/quit");
    EXPECT_EQ(server.read_line(), "shutting down");
    EXPECT_EQ(a.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(server.wait_exit(), 0);
}

// ---- the operator's limits, from loopback (--limit-loopback makes loopback count) ----

TEST(ChatServerLimits, MaxPerAddressRefusesTheNextConnectionAndNamesTheCause) {
    ServerProcess server(
        kServer, with_prefix({"--port", "0", "--max-per-address", "2", "--limit-loopback"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    auto a = std::make_unique<TestClient>(port);
    TestClient b(port);
    a->login("a");
    b.login("b");
    TestClient c(port);
    const auto e = c.expect_error(chat::ErrorCode::ServerFull);
    EXPECT_NE(e.detail.find("127.0.0.1"), std::string::npos) << e.detail;
    EXPECT_NE(e.detail.find("--max-per-address"), std::string::npos) << e.detail;
    EXPECT_TRUE(c.wait_closed());

    // When one goes, its slot is free again (once the server has seen it go).
    a.reset();
    bool admitted = false;
    for (int i = 0; i < 100 && !admitted; ++i) {
        TestClient d(port);
        d.send(chat::Hello{chat::kProtocolVersion, "d", ""});
        admitted = std::holds_alternative<chat::Welcome>(d.read());
        if (!admitted) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(admitted);
    server.command("/stats");
    const auto stats = server.read_line().value_or("");
    // c, and any d that came before the server saw a go.
    const auto at = stats.find("refused_per_address=");
    ASSERT_NE(at, std::string::npos) << stats;
    EXPECT_GE(std::stoi(stats.substr(at + 20)), 1) << stats;
}

TEST(ChatServerLimits, LoopbackIsNotCountedByDefault) {
    ServerProcess server(kServer, with_prefix({"--port", "0", "--max-per-address", "1"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    std::vector<TestClient> clients;
    for (int i = 0; i < 5; ++i) {
        clients.emplace_back(port);
        EXPECT_EQ(clients.back().login("local" + std::to_string(i)).nick,
                  "local" + std::to_string(i));
    }
}

TEST(ChatServerLimits, MaxHandshakesRefusesConnectionsBeyondThoseNotPastHello) {
    ServerProcess server(kServer, with_prefix({"--port", "0", "--max-handshakes", "2"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient a(port), b(port);
    for (TestClient* t : {&a, &b}) {  // both admitted (and still in their handshake)
        t->send(chat::Ping{7});
        EXPECT_EQ(t->expect<chat::Pong>().token, 7u);
    }
    TestClient c(port);
    const auto e = c.expect_error(chat::ErrorCode::ServerFull);
    EXPECT_NE(e.detail.find("--max-handshakes"), std::string::npos) << e.detail;
    EXPECT_TRUE(c.wait_closed());

    a.login("a");  // past HELLO: a slot is free
    TestClient d(port);
    EXPECT_EQ(d.login("d").nick, "d");
}

TEST(ChatServerLimits, WrongPasswordsAreSlowedDownLoggedAndNeverShown) {
    const std::string log = ::testing::TempDir() + "chat_server_password.log";
    {
        ServerProcess server(kServer, with_prefix({"--port", "0", "--password", "open-sesame"}),
                             log);
        const std::uint16_t port = server.wait_listening();
        ASSERT_NE(port, 0);
        auto a_owner = std::make_unique<TestClient>(port);
        auto b_owner = std::make_unique<TestClient>(port);
        TestClient& a = *a_owner;
        TestClient& b = *b_owner;
        a.send(chat::Hello{chat::kProtocolVersion, "ada", "guess-one"});
        EXPECT_NO_THROW(a.expect_error(chat::ErrorCode::BadPassword, 1000ms));  // at once

        const auto sent = std::chrono::steady_clock::now();
        a.send(chat::Hello{chat::kProtocolVersion, "ada", "guess-two"});
        // The pause starts when the server takes the second wrong password; a PING behind it
        // is answered once it has (on iocp's or blocking's threads b could otherwise be first).
        a.send(chat::Ping{2});
        EXPECT_EQ(a.expect<chat::Pong>().token, 2u);
        // Meanwhile the address is paused: even the right password is refused.
        b.send(chat::Hello{chat::kProtocolVersion, "bob", "open-sesame"});
        const auto paused = b.expect_error(chat::ErrorCode::RateLimited);
        EXPECT_NE(paused.detail.find("try again"), std::string::npos) << paused.detail;
        a.expect_error(chat::ErrorCode::BadPassword);
        EXPECT_GE(std::chrono::steady_clock::now() - sent, 240ms);

        // A PING is answered while a held answer is pending: no engine thread waits.
        const auto third = std::chrono::steady_clock::now();
        a.send(chat::Hello{chat::kProtocolVersion, "ada", "guess-three"});
        a.send(chat::Ping{3});
        EXPECT_EQ(a.expect<chat::Pong>().token, 3u);
        EXPECT_LT(std::chrono::steady_clock::now() - third, 400ms);
        a.expect_error(chat::ErrorCode::BadPassword);
        EXPECT_GE(std::chrono::steady_clock::now() - third, 490ms);

        EXPECT_EQ(b.login("bob", "open-sesame").nick, "bob");
        a_owner.reset();  // gone before the shutdown, which would wait for them
        b_owner.reset();
        server.command("/quit");
        EXPECT_EQ(server.wait_exit(), 0);
    }
    const std::string text = file_text(log);
    EXPECT_NE(text.find("wrong password from 127.0.0.1"), std::string::npos) << text;
    EXPECT_NE(text.find("warn"), std::string::npos) << text;
    for (const char* secret : {"open-sesame", "guess-one", "guess-two", "guess-three"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in the log:\n" << text;
}

TEST(ChatServerConsole, CommandsFollowTheProtocolsRulesAndSayWhyNot) {
    ServerProcess server(kServer, with_prefix({"--port", "0"}));
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    TestClient a(port), b(port);
    a.login("alice");
    b.login("bob");

    // A notice the protocol cannot carry is refused whole, never cut or relayed broken.
    server.command("/notice " + std::string(1100, 'x'));
    EXPECT_EQ(server.read_line(),
              "error: notice not sent: the text is 1100 bytes; the limit is 1024");
    server.command("/notice tab\there");
    EXPECT_NE(server.read_line().value_or("").find("control character"), std::string::npos);
    server.command("/notice " + std::string(1024, 'y'));
    EXPECT_EQ(server.read_line(), "notice sent");
    EXPECT_EQ(a.expect<chat::Notice>().text, std::string(1024, 'y'));  // and nothing before it

    server.command("/stats please");
    EXPECT_EQ(server.read_line(), "error: /stats takes no argument");
    server.command("/kick");
    EXPECT_EQ(server.read_line(), "error: usage: /kick NICK [REASON]");
    server.command("engine epoll");
    EXPECT_NE(server.read_line().value_or("").find("start with '/'"), std::string::npos);

    server.command("/kick Bob flooding the lobby");
    EXPECT_EQ(server.read_line(), "kicked Bob");
    EXPECT_EQ(b.expect<chat::Notice>().text, std::string(1024, 'y'));
    EXPECT_EQ(b.expect<chat::Bye>().reason, "kicked: flooding the lobby");
    server.command("/help");
    EXPECT_NE(server.read_line().value_or("").find("/kick NICK [REASON]"), std::string::npos);
}

TEST(ChatServerCommandLine, HelpListsTheOptions) {
    std::string out;
    EXPECT_EQ(run_capture(kServer, with_prefix({"--help"}), out), 0);
    for (const char* flag :
         {"--engine", "--listen", "--port", "--password", "--max-sessions", "--max-frame",
          "--max-send-queue", "--handshake-timeout", "--idle-timeout", "--name", "--list-engines",
          "--max-per-address", "--limit-loopback", "--max-handshakes"})
        EXPECT_NE(out.find(flag), std::string::npos) << flag;
}

TEST(ChatServerCommandLine, ListEnginesNamesEveryEngine) {
    std::string out;
    EXPECT_EQ(run_capture(kServer, with_prefix({"--list-engines"}), out), 0);
    for (const auto& e : engine_list()) EXPECT_NE(out.find(e), std::string::npos) << e;
    EXPECT_NE(out.find("(default)"), std::string::npos);
}

// Bad options and values: settings_e2e_test.cpp (ServerSettings.*).

TEST(ChatServerCommandLine, PortInUseIsReported) {
    ServerProcess first(kServer, with_prefix({"--port", "0"}));
    const std::uint16_t port = first.wait_listening();
    ASSERT_NE(port, 0);
    std::string out;
    EXPECT_EQ(run_capture(kServer, with_prefix({"--port", std::to_string(port)}), out), 1);
    EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
        << out;
}

}  // namespace
