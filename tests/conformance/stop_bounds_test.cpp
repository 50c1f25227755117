// Every engine's stop() ends in bounded time whatever the clients do, so a live switch and a
// shutdown do too. The clients here never let their sockets go quiet (a PING every 20-50 ms,
// an ECHO every millisecond): a reader that only returns after some silence never returns.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netcore/engine_registry.hpp"
#include "sanitizer_slowdown.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"
#include "trickling_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The bound on one switch (the old engine's stop() plus the new one's start()) and on a
// server's stop(). The blocking engine's socket calls time out after 100 ms, so it stops in
// about two of them (a reader's recv, then its writer's send; all connections side by side);
// the loop engines stop after the turn they are in; the completion engines cancel their
// receives at once and wait for a send only while its peer does not read (every client here
// reads). A correct engine stops in well under 300 ms even under Wine on a loaded 2-core
// machine; 1 s leaves room for that load and still catches the fault it guards against: a
// stop that lasts as long as any client keeps sending (12 s in the report; here the
// tricklers' whole 30 s life). Under the sanitizers it scales with their slowdown (the
// blocking engine starts two threads per adopted connection, which TSan makes slow).
constexpr auto kStopBound = 1000ms * kSanitizerSlowdown;

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

long long ms(Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Three PINGers at 20, 35 and 50 ms and one ECHO stream at 1 ms.
std::vector<std::unique_ptr<TricklingClient>> start_tricklers(std::uint16_t port) {
    std::vector<std::unique_ptr<TricklingClient>> out;
    int n = 0;
    for (auto interval : {20ms, 35ms, 50ms})
        out.push_back(std::make_unique<TricklingClient>(port, "pinger" + std::to_string(n++),
                                                        TricklingClient::Kind::Ping, interval));
    out.push_back(std::make_unique<TricklingClient>(port, "streamer",
                                                    TricklingClient::Kind::EchoStream, 1ms));
    return out;
}

struct SwitchTiming {
    Clock::duration took{};
    Clock::duration pong = Clock::duration::max();     // an idle client's PING sent as it began
    Clock::duration welcome = Clock::duration::max();  // a client connecting as it began
    std::string error;
};

// Switches while a probe asks for a PONG on an idle session and connects a new client at
// the moment the switch begins: both must be answered within the bound too.
SwitchTiming switch_with_probe(ServerUnderTest& server, TestClient& idle, const std::string& to,
                               int round) {
    SwitchTiming t;
    std::atomic<bool> go{false};
    Clock::time_point start;
    std::thread probe([&] {
        while (!go) std::this_thread::yield();
        const auto asked = Clock::now();
        idle.send(chat::Ping{static_cast<std::uint64_t>(round)});
        for (;;) {
            auto f = idle.read_frame(10s);
            if (!f) break;
            if (f->type == static_cast<std::uint16_t>(chat::MsgType::Pong)) {
                t.pong = Clock::now() - asked;
                break;
            }
        }
        try {
            const auto connecting = Clock::now();
            TestClient fresh(server.port());
            fresh.login("probe" + std::to_string(round));
            t.welcome = Clock::now() - connecting;
        } catch (const std::exception& e) {
            t.error = e.what();
        }
    });
    std::string error;
    start = Clock::now();
    go = true;
    const bool ok = server.server.switch_engine(to, error);
    t.took = Clock::now() - start;
    probe.join();
    if (!ok) t.error = error;
    return t;
}

class EngineStopBounds : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineStopBounds, SwitchAwayAndBackIsQuickWhileClientsTrickle) {
    const std::string home = GetParam();
    ServerUnderTest server(home);
    TestClient idle(server.port());
    idle.login("idle");
    auto tricklers = start_tricklers(server.port());
    std::this_thread::sleep_for(200ms);  // every trickler is in full flow

    int round = 0;
    Clock::duration worst{};
    for (const std::string& other : engine_list()) {
        if (other == home) continue;
        for (const std::string& to : {other, home}) {
            const std::string from = to == home ? other : home;
            SCOPED_TRACE(from + " -> " + to);
            const SwitchTiming t = switch_with_probe(server, idle, to, round++);
            std::printf(
                "[ bounds ] switch %s -> %s: %lld ms (probe PONG %lld ms, WELCOME %lld ms)\n",
                from.c_str(), to.c_str(), ms(t.took), ms(t.pong), ms(t.welcome));
            ASSERT_EQ(t.error, "");
            EXPECT_LT(t.took, kStopBound) << "the switch waited on a client that keeps sending";
            EXPECT_LT(t.pong, kStopBound) << "an idle client's PING waited for the switch";
            EXPECT_LT(t.welcome, kStopBound) << "a new client's HELLO waited for the switch";
            worst = std::max(worst, t.took);
            std::this_thread::sleep_for(100ms);  // the tricklers keep going on this engine
        }
    }
    std::printf("[ bounds ] %s: slowest switch %lld ms\n", home.c_str(), ms(worst));

    for (auto& t : tricklers) {
        const std::uint64_t sent = t->sent();
        EXPECT_TRUE(t->finish()) << t->nick() << ": " << t->answered() << " of " << sent
                                 << " answered; " << t->error();
        EXPECT_EQ(t->error(), "");
        std::printf("[ bounds ] %s %s: %llu requests, longest wait %lld ms\n", home.c_str(),
                    t->nick().c_str(), static_cast<unsigned long long>(t->answered()),
                    static_cast<long long>(t->worst_wait().count()));
    }
    // Nobody was disconnected (the tricklers, the idle client; the probes have gone).
    EXPECT_TRUE(ServerUnderTest::eventually(
        [&] { return server.server.connection_count() == tricklers.size() + 1; }));
}

TEST_P(EngineStopBounds, ShutdownIsQuickWhileClientsTrickle) {
    auto server = std::make_unique<ServerUnderTest>(GetParam());
    auto tricklers = start_tricklers(server->port());
    std::this_thread::sleep_for(300ms);

    // As chat_server does: BYE to everyone (flushed at once), then stop. The tricklers do not
    // close on BYE nor on the server's FIN; they keep sending until a send fails.
    server->service.shutdown("server shutting down");
    for (auto& t : tricklers)
        EXPECT_TRUE(ServerUnderTest::eventually([&] { return t->saw_bye(); }, kStopBound))
            << t->nick() << " got no BYE";
    const auto start = Clock::now();
    server->server.stop();
    const auto took = Clock::now() - start;
    std::printf("[ bounds ] %s: stop %lld ms\n", GetParam().c_str(), ms(took));
    EXPECT_LT(took, kStopBound) << "stop() waited on a client that keeps sending";
    for (auto& t : tricklers)
        EXPECT_TRUE(ServerUnderTest::eventually([&] { return t->closed(); }, kStopBound))
            << t->nick() << " can still send: the server did not close its socket";
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineStopBounds, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

}  // namespace
