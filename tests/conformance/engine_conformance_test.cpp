// One suite, run against every engine of this platform: real sockets on loopback.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/time.h>
#endif

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"
#include "tls_server_check.hpp"
#include "transport.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7) & 0xFF);
    return s;
}

std::string as_string(const chat::Bytes& b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// Reads MESSAGEs of one room on its own thread and checks the seq run stays unbroken.
class RoomListener {
  public:
    RoomListener(TestClient& client, std::uint64_t first_seq) : client_(client), next_(first_seq) {
        thread_ = std::thread([this] { run(); });
    }
    ~RoomListener() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    void expect_total(std::size_t n) { want_ = n; }
    std::size_t received() const { return received_; }
    std::string error() {
        std::lock_guard lock(mutex_);
        return error_;
    }

  private:
    void run() {
        while (received_ < want_) {
            auto f = client_.read_frame(10s);
            if (!f) return fail("stream ended after " + std::to_string(received_) + " messages");
            if (f->type != static_cast<std::uint16_t>(chat::MsgType::Message)) continue;
            chat::AnyMessage msg;
            if (chat::decode(f->type, f->body, msg) != chat::ErrorCode::None)
                return fail("bad MESSAGE");
            const auto& m = std::get<chat::Message>(msg);
            if (m.seq != next_)
                return fail("seq gap: expected " + std::to_string(next_) + ", got " +
                            std::to_string(m.seq));
            ++next_;
            ++received_;
        }
    }
    void fail(std::string why) {
        std::lock_guard lock(mutex_);
        error_ = std::move(why);
    }

    TestClient& client_;
    std::uint64_t next_;
    std::atomic<std::size_t> received_{0};
    std::atomic<std::size_t> want_{SIZE_MAX};
    std::mutex mutex_;
    std::string error_;
    std::thread thread_;
};

class EngineConformance : public ::testing::TestWithParam<std::string> {};
// The same tests once more over TLS (the bodies below take the transport).
class EngineConformanceTls : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override { SKIP_WITHOUT_TLS_SERVER(); }
};

void welcome_and_info_name_the_engine(const Transport& t) {
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient c = t.client(server.port());
    EXPECT_EQ(c.login("ada").engine, t.engine);
    c.send(chat::InfoReq{});
    const auto info = c.expect<chat::Info>();
    EXPECT_EQ(info.engine, t.engine);
    EXPECT_EQ(info.sessions, 1u);
    const auto conns = server.server.connections();
    ASSERT_EQ(conns.size(), 1u);
    EXPECT_EQ(conns[0]->is_tls(), t.tls);
    if (t.tls) {
        EXPECT_EQ(conns[0]->tls_info()->version, c.tls_info()->version);
        EXPECT_FALSE(conns[0]->tls_info()->cipher.empty());
    }
}
TEST_P(EngineConformance, WelcomeAndInfoNameTheEngine) {
    welcome_and_info_name_the_engine(Transport::plain(GetParam()));
}

void echoes_every_body_size(const Transport& t) {
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient c = t.client(server.port());
    for (std::size_t size : {0, 1, 2, 3, 255, 1000, 4096, 16384, 65530, 65531}) {
        const std::string body = pattern(size, static_cast<unsigned>(size));
        c.send(chat::Echo{body});
        const auto echo = c.expect<chat::Echo>();
        ASSERT_EQ(echo.body.size(), size);
        EXPECT_EQ(echo.body, body) << "body of " << size << " bytes came back different";
    }
}
TEST_P(EngineConformance, EchoesEveryBodySizeFromEmptyToLargest) {
    echoes_every_body_size(Transport::plain(GetParam()));
}

TEST_P(EngineConformance, ServesFiveHundredConcurrentClients) {
    ServerUnderTest server(GetParam());
    constexpr int kClients = 500;
    std::vector<TestClient> clients;
    clients.reserve(kClients);
    for (int i = 0; i < kClients; ++i) clients.emplace_back(server.port());
    for (int i = 0; i < kClients; ++i) clients[i].send(chat::Hello{1, "c" + std::to_string(i), ""});
    for (int i = 0; i < kClients; ++i)
        ASSERT_EQ(clients[i].expect<chat::Welcome>().nick, "c" + std::to_string(i));
    for (int i = 0; i < kClients; ++i) clients[i].send(chat::Echo{pattern(700, i)});
    for (int i = 0; i < kClients; ++i)
        ASSERT_EQ(clients[i].expect<chat::Echo>().body, pattern(700, i));
    clients[0].send(chat::InfoReq{});
    EXPECT_EQ(clients[0].expect<chat::Info>().sessions, static_cast<std::uint32_t>(kClients));
}

void half_closed_client_gets_every_answer(const Transport& t) {
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient c = t.client(server.port());
    constexpr int kFrames = 50;
    for (int i = 0; i < kFrames; ++i) c.send(chat::Echo{pattern(2000, i)});
    c.shutdown_write();
    for (int i = 0; i < kFrames; ++i) ASSERT_EQ(c.expect<chat::Echo>().body, pattern(2000, i)) << i;
    EXPECT_TRUE(c.wait_closed());
    if (t.tls) {
        EXPECT_TRUE(c.got_close_notify()) << "the server's FIN came without close_notify";
    }
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }));
}
TEST_P(EngineConformance, HalfClosedClientGetsEveryAnswerThenTheClose) {
    half_closed_client_gets_every_answer(Transport::plain(GetParam()));
}

void abrupt_reset_mid_frame_affects_nobody_else(const Transport& t) {
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    TestClient stayer = t.client(server.port());
    stayer.login("stayer");
    stayer.join("lobby");
    {
        TestClient leaver = t.client(server.port());
        leaver.login("leaver");
        leaver.join("lobby");
        ASSERT_EQ(stayer.expect<chat::RoomEvent>().kind, chat::RoomEventKind::Joined);
        const auto frame = chat::encode(chat::Say{"lobby", "this frame never ends"});
        leaver.send_cut(frame);  // half the frame, or half its TLS record
        std::this_thread::sleep_for(20ms);
        leaver.reset();
    }
    const auto left = stayer.expect<chat::RoomEvent>();
    EXPECT_EQ(left.kind, chat::RoomEventKind::Left);
    EXPECT_EQ(left.nick, "leaver");
    stayer.send(chat::Echo{"still here"});
    EXPECT_EQ(stayer.expect<chat::Echo>().body, "still here");
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server.server.connection_count() == 1; }));
}
TEST_P(EngineConformance, AbruptResetMidFrameAffectsNobodyElse) {
    abrupt_reset_mid_frame_affects_nobody_else(Transport::plain(GetParam()));
}

void client_that_never_reads_is_cut_off(const Transport& t) {
    auto options = t.options();
    options.max_send_queue = 1024 * 1024;  // above one read batch (256 KiB) of own output
    ServerUnderTest server(t.engine, test_service_config(), options);

    TestClient sloth = t.client(server.port(), 4096);  // never reads
    sloth.login("sloth");
    sloth.join("flood");
    TestClient talker = t.client(server.port());
    talker.login("talker");
    const auto joined = talker.join("flood");

    // Enough to fill the kernel's buffers (a few MiB on loopback) and then the queue.
    constexpr std::size_t kMessages = 9000;
    RoomListener listener(talker, joined.next_seq);
    listener.expect_total(kMessages);
    const std::string text = pattern(1024, 3);
    std::string clean(text.size(), 'x');
    for (std::size_t i = 0; i < kMessages; ++i) talker.send(chat::Say{"flood", clean});
    listener.join();
    EXPECT_EQ(listener.error(), "");
    EXPECT_EQ(listener.received(), kMessages);
    EXPECT_TRUE(
        ServerUnderTest::eventually([&] { return server.server.connection_count() == 1; }, 10s))
        << "the client that never reads was not cut off";
    EXPECT_TRUE(sloth.wait_closed(10s));
}
TEST_P(EngineConformance, ClientThatNeverReadsIsCutOffWhileOthersGetEverything) {
    client_that_never_reads_is_cut_off(Transport::plain(GetParam()));
}

// A client that pipelines far more than max_send_queue of requests and reads the answers
// slowly must be held back (the engine stops reading it while its own output is backlogged),
// not cut off for an overflow of its own answers.
TEST_P(EngineConformance, PipeliningClientThatReadsSlowlyIsHeldBackNotCutOff) {
    auto options = test_server_options();
    options.max_send_queue = 1024 * 1024;  // above one read batch (256 KiB) of own output
    ServerUnderTest server(GetParam(), test_service_config(), options);
    TestClient c(server.port(), 16 * 1024);
    constexpr int kFrames = 2000;  // 16 MB of answers: far more than the queue and the buffers
    constexpr std::size_t kBody = 8000;

    std::atomic<int> good{0};
    std::thread reader([&] {
        for (int i = 0; i < kFrames; ++i) {
            auto f = c.read_frame(10s);
            if (!f || as_string(f->body) != pattern(kBody, static_cast<unsigned>(i))) break;
            ++good;
            if (i % 2 == 0) std::this_thread::sleep_for(1ms);  // slower than the sender
        }
        if (good == kFrames) return;
        while (c.read_frame(10s)) {
        }
        c.shutdown_write();  // the sender may be stuck in send(): let it fail instead
    });
    bool sent_all = true;
    try {
        for (int i = 0; i < kFrames; ++i)
            c.send(chat::Echo{pattern(kBody, static_cast<unsigned>(i))});
    } catch (const std::exception&) {
        sent_all = false;  // the server cut us off; the reader sees the end of stream
    }
    reader.join();
    EXPECT_TRUE(sent_all);
    EXPECT_EQ(good.load(), kFrames) << "an answer went missing or the client was cut off";
    EXPECT_EQ(server.server.connection_count(), 1u);
}

// A pipelining client that never reads and then resets, while the engine holds its requests
// back for its backlogged answers: the engine must see the reset and close it, though the
// backlog will never drain (blocking's writer once waited for its paused reader forever).
TEST_P(EngineConformance, PipeliningClientThatResetsWhileHeldBackIsClosed) {
    auto options = test_server_options();
    options.max_send_queue = 1024 * 1024;
    ServerUnderTest server(GetParam(), test_service_config(), options);
    TestClient c(server.port(), 16 * 1024);  // never reads
    // Our send() gives up once the server has taken nothing for half a second: it is holding
    // our requests back (or the machine is that slow, and the test then proves less).
#ifdef _WIN32
    const DWORD give_up = 500;
#else
    const timeval give_up{0, 500'000};
#endif
    ::setsockopt(c.socket(), SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char*>(&give_up),
                 sizeof give_up);
    const std::string body = pattern(8000, 5);
    bool held_back = false;
    for (int i = 0; i < 8000 && !held_back; ++i) {  // 64 MB at most
        try {
            c.send(chat::Echo{body});
        } catch (const std::exception&) {
            held_back = true;
        }
    }
    EXPECT_TRUE(held_back) << "64 MB of requests went in while no answer was read";
    EXPECT_EQ(server.server.connection_count(), 1u);
    c.reset();
    EXPECT_TRUE(
        ServerUnderTest::eventually([&] { return server.server.connection_count() == 0; }, 5s))
        << "the reset connection was not closed while its answers were backlogged";
}

TEST_P(EngineConformance, GracefulShutdownFlushesQueuedFramesThenSaysBye) {
    auto server = std::make_unique<ServerUnderTest>(GetParam());
    std::vector<TestClient> clients;
    for (int i = 0; i < 3; ++i) {
        clients.emplace_back(server->port());
        clients.back().login("n" + std::to_string(i));
    }
    constexpr int kNotices = 200;
    for (int i = 0; i < kNotices; ++i) server->service.notice("notice " + std::to_string(i));
    server->service.shutdown("server shutting down");
    for (auto& c : clients) {
        for (int i = 0; i < kNotices; ++i)
            ASSERT_EQ(c.expect<chat::Notice>().text, "notice " + std::to_string(i));
        EXPECT_EQ(c.expect<chat::Bye>().reason, "server shutting down");
        EXPECT_TRUE(c.wait_closed());
    }
    clients.clear();  // a real client closes on EOF; the server then completes its close
    EXPECT_TRUE(ServerUnderTest::eventually([&] { return server->server.connection_count() == 0; },
                                            1500ms));
}

void live_switch_to_every_other_engine_mid_burst(const Transport& t) {
    ServerUnderTest server(t.engine, test_service_config(), t.options());
    const std::string home = t.engine;

    for (const std::string& other : engine_list()) {
        if (other == home) continue;
        SCOPED_TRACE("switch " + home + " -> " + other + " -> " + home);
        constexpr int kMembers = 4, kTalkers = 2, kPerTalker = 300;
        const std::string room = "burst-" + other;
        std::vector<TestClient> members;
        std::vector<std::unique_ptr<RoomListener>> listeners;
        for (int i = 0; i < kMembers; ++i) {
            members.push_back(t.client(server.port()));
            members.back().login(other + "-m" + std::to_string(i));
        }
        std::uint64_t first_seq = 0;
        for (int i = 0; i < kMembers; ++i) {
            const auto joined = members[i].join(room);
            // Drain the ROOM_EVENTs of earlier joiners before the listener takes over.
            if (i == 0) first_seq = joined.next_seq;
        }
        for (int i = 0; i < kMembers; ++i) {
            listeners.push_back(std::make_unique<RoomListener>(members[i], first_seq));
            listeners.back()->expect_total(kTalkers * kPerTalker);
        }
        TestClient echoer = t.client(server.port());

        std::atomic<bool> echo_ok{true};
        std::vector<std::thread> talkers;
        for (int t = 0; t < kTalkers; ++t)
            talkers.emplace_back([&, t] {
                for (int i = 0; i < kPerTalker; ++i) {
                    members[t].send(chat::Say{room, "m" + std::to_string(i)});
                    std::this_thread::sleep_for(500us);
                }
            });
        std::thread echo_thread([&] {
            // A second connection checks bytes survive the switch in both directions unchanged.
            for (int i = 0; i < 60; ++i) {
                const std::string body = pattern(3000 + i, i);
                echoer.send(chat::Echo{body});
                auto f = echoer.read_frame(10s);
                if (!f || as_string(f->body) != body) echo_ok = false;
            }
        });
        std::this_thread::sleep_for(40ms);
        std::string error;
        ASSERT_TRUE(server.server.switch_engine(other, error)) << error;
        EXPECT_EQ(server.server.engine_name(), other);
        std::this_thread::sleep_for(40ms);
        ASSERT_TRUE(server.server.switch_engine(home, error)) << error;
        for (auto& t : talkers) t.join();
        echo_thread.join();
        for (auto& l : listeners) {
            l->join();
            EXPECT_EQ(l->error(), "");
            EXPECT_EQ(l->received(), static_cast<std::size_t>(kTalkers * kPerTalker));
        }
        EXPECT_TRUE(echo_ok) << "an ECHO body changed or went missing across the switch";
        // Nobody was disconnected.
        EXPECT_EQ(server.server.connection_count(), static_cast<std::size_t>(kMembers + 1));
    }
}
TEST_P(EngineConformance, LiveSwitchToEveryOtherEngineMidBurstKeepsEverySeqAndByte) {
    live_switch_to_every_other_engine_mid_burst(Transport::plain(GetParam()));
}

#if NETCORE_TLS_AVAILABLE
// Once more over TLS on every engine: the session sits in the connection, so every engine
// carries it without knowing, and it moves with its connection across a live switch.
TEST_P(EngineConformanceTls, WelcomeAndInfoNameTheEngine) {
    welcome_and_info_name_the_engine(Transport::secure(GetParam()));
}
TEST_P(EngineConformanceTls, EchoesEveryBodySizeFromEmptyToLargest) {
    echoes_every_body_size(Transport::secure(GetParam()));
}
TEST_P(EngineConformanceTls, HalfClosedClientGetsEveryAnswerThenTheClose) {
    half_closed_client_gets_every_answer(Transport::secure(GetParam()));
}
TEST_P(EngineConformanceTls, AbruptResetMidRecordAffectsNobodyElse) {
    abrupt_reset_mid_frame_affects_nobody_else(Transport::secure(GetParam()));
}
TEST_P(EngineConformanceTls, ClientThatNeverReadsIsCutOffWhileOthersGetEverything) {
    client_that_never_reads_is_cut_off(Transport::secure(GetParam()));
}
TEST_P(EngineConformanceTls, LiveSwitchToEveryOtherEngineMidBurstKeepsEverySeqAndByte) {
    live_switch_to_every_other_engine_mid_burst(Transport::secure(GetParam()));
}
INSTANTIATE_TEST_SUITE_P(AllEngines, EngineConformanceTls, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });
#endif

// Sockets start on the default engine (under iocp they stay bound to its port) and the
// first request after each switch comes at once, often before the new engine posted its first
// receive: a completion it then loses (an overlapped call resets its event) leaves it unanswered.
TEST(EngineSwitch, RequestRightAfterEachSwitchIsAnswered) {
    for (int round = 0; round < 25; ++round) {
        ServerUnderTest server(std::string(netcore::default_engine_name()));
        TestClient a(server.port()), b(server.port());
        a.login("alice");
        b.login("bob");
        for (const std::string& engine : engine_list()) {
            std::string error;
            ASSERT_TRUE(server.server.switch_engine(engine, error)) << error;
            a.send(chat::Echo{"on " + engine});
            const auto f = a.read_frame(5s);
            ASSERT_TRUE(f && as_string(f->body) == "on " + engine)
                << "round " << round << ": no answer right after the switch to " << engine;
        }
    }
}

// A client that reads its answers slowly keeps a send of the completion engine in flight at
// every stop; the stop cancels it after its grace, often part-way through (on Windows a
// WSASend of up to 1 MiB). What it had sent is counted, and the next engine sends the rest:
// the client must get every byte exactly once, in order (a byte sent twice or lost breaks the
// framing or an ECHO's pattern).
TEST(EngineSwitch, SlowReaderGetsEveryByteOnceAcrossSwitchesFromACompletionEngine) {
    const std::vector<std::string> all = engine_list();
    for (const char* home : {"io_uring", "iocp", "overlapped_event", "overlapped_callback"}) {
        if (std::find(all.begin(), all.end(), home) == all.end()) continue;
        SCOPED_TRACE(home);
        auto options = test_server_options();
        options.max_send_queue = 1024 * 1024;  // held back, not cut off (see above)
        ServerUnderTest server(home, test_service_config(), options);
        TestClient c(server.port(), 8 * 1024);
        constexpr int kFrames = 400;
        constexpr std::size_t kBody = 8000;  // 3.2 MB of answers, read at ~1.6 MB/s

        std::atomic<int> good{0};
        std::atomic<bool> done{false};
        std::atomic<int> switches{0};
        std::atomic<const std::string*> serving{nullptr};  // the engine switched to last
        std::string error;
        // Where a failure happened, to tell a lost or repeated answer from bytes sent twice.
        auto context = [&](int i, const std::string& body) {
            std::string what = " (" + std::to_string(body.size()) + " bytes";
            for (int j = std::max(0, i - 8); j < std::min(kFrames, i + 8); ++j)
                if (j != i && body == pattern(kBody, static_cast<unsigned>(j)))
                    what += ", request " + std::to_string(j) + "'s body";
            const std::string* on = serving.load();
            return what + "; after " + std::to_string(switches.load()) + " switches, on " +
                   (on ? *on : std::string(home)) + ")";
        };
        std::thread reader([&] {
            for (int i = 0; i < kFrames; ++i) {
                auto f = c.read_frame(10s);
                if (!f) {
                    error = "stream ended at answer " + std::to_string(i) + context(i, "");
                    break;
                }
                if (const std::string body = as_string(f->body);
                    body != pattern(kBody, static_cast<unsigned>(i))) {
                    error = "answer " + std::to_string(i) + " is not its request's body" +
                            context(i, body);
                    break;
                }
                ++good;
                std::this_thread::sleep_for(5ms);  // far slower than the server sends
            }
            done = true;
            if (good != kFrames) c.shutdown_write();  // the sender may be stuck in send()
        });
        std::thread sender([&] {
            try {
                for (int i = 0; i < kFrames; ++i)
                    c.send(chat::Echo{pattern(kBody, static_cast<unsigned>(i))});
            } catch (const std::exception&) {
            }
        });
        std::string why;
        const auto at_home = std::find(all.begin(), all.end(), home);
        while (!done && why.empty()) {
            for (const std::string& other : all) {
                if (other == home || done || !why.empty()) continue;
                if (!server.server.switch_engine(other, why)) break;
                serving = &other;
                ++switches;
                std::this_thread::sleep_for(30ms);
                if (!server.server.switch_engine(home, why)) break;
                serving = &*at_home;
                ++switches;
                std::this_thread::sleep_for(30ms);  // the send in flight is the home engine's
            }
        }
        if (!why.empty()) c.shutdown_write();  // ends the reader and the sender early
        sender.join();
        reader.join();
        EXPECT_EQ(why, "") << "a switch failed";
        EXPECT_EQ(error, "");
        EXPECT_EQ(good.load(), kFrames);
        EXPECT_GE(switches.load(), 2) << "the answers were all read before any switch";
        EXPECT_EQ(server.server.connection_count(), 1u);
    }
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineConformance, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

}  // namespace
