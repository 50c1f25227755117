// The server window's non-GUI half, without a display: the snapshot/command exchange, the
// controller that owns the server, the log ring and the CPU meter.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "cpu_meter.hpp"
#include "gui_model.hpp"
#include "log_sink.hpp"
#include "netcore/engine_registry.hpp"
#include "server_controller.hpp"
#include "test_client.hpp"
#include "tls_server_check.hpp"
#include "transport.hpp"

using namespace server_gui;
using namespace std::chrono_literals;
using testing_support::TestClient;

namespace {

TEST(LogRing, KeepsTheNewestLinesAndHandsOutOnlyWhatIsNew) {
    LogRing ring(3);
    for (int i = 1; i <= 5; ++i) ring.push(spdlog::level::info, "line " + std::to_string(i));
    std::vector<LogLine> out;
    std::uint64_t seen = ring.read_since(0, out);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out.front().text, "line 3");
    EXPECT_EQ(seen, 5u);
    out.clear();
    EXPECT_EQ(ring.read_since(seen, out), 5u);
    EXPECT_TRUE(out.empty());
    ring.push(spdlog::level::warn, "line 6");
    ring.read_since(seen, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].level, spdlog::level::warn);
}

TEST(RingSink, FormatsWithoutTheNewlineAndKeepsTheLevel) {
    auto ring = std::make_shared<LogRing>(10);
    auto sink = std::make_shared<RingSink>(ring);
    sink->set_pattern("%l %v");
    spdlog::logger logger("t", sink);
    logger.error("서버 {}", 7);
    std::vector<LogLine> out;
    ring->read_since(0, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].text, "error 서버 7");
    EXPECT_EQ(out[0].level, spdlog::level::err);
}

TEST(CpuMeter, SeesABusyThread) {
    // Spin for CPU time, not wall time: on a loaded machine the thread gets less of a core,
    // but the meter must still see what it burnt (an idle meter reads about 0).
    const double start = process_cpu_seconds();
    ASSERT_GE(start, 0.0);
    CpuMeter meter;
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    volatile unsigned long spin = 0;
    while (process_cpu_seconds() - start < 0.2 && std::chrono::steady_clock::now() < give_up)
        for (int i = 0; i < 100000; ++i) spin = spin + 1;
    EXPECT_GE(process_cpu_seconds() - start, 0.2);
    EXPECT_GT(meter.sample(), 1.0);  // 0.2 s of CPU over at most 10 s of wall: at least 2%
}

TEST(GuiModel, HandsCommandsOverAndTheNewestSnapshotBack) {
    GuiModel model;
    std::vector<Command> commands{ops::Notice{"hi"}, ops::Kick{"bob", ""}};
    auto first = model.exchange(commands);
    ASSERT_NE(first, nullptr);
    EXPECT_TRUE(commands.empty());
    auto taken = model.wait_commands(std::chrono::steady_clock::now());
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(std::get<ops::Notice>(taken[0]).text, "hi");

    auto snap = std::make_shared<Snapshot>();
    snap->serial = 42;
    model.publish(snap);
    EXPECT_EQ(model.exchange(commands)->serial, 42u);

    // stop() wakes a waiting controller at once.
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        model.stop();
    });
    const auto start = std::chrono::steady_clock::now();
    model.wait_commands(start + 10s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    stopper.join();
}

// The controller as the window uses it: commands in through the model, snapshots out.
class ControllerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ServerCommandLine options;
        options.port = 0;
        options.engine = std::string(netcore::default_engine_name());
        controller_ = std::make_unique<ServerController>(
            options, model_, [this] { ++wakes_; },
            [this](const std::string& line) {
                std::lock_guard lock(mutex_);
                lines_.push_back(line);
            });
        ASSERT_TRUE(controller_->start());
    }
    void TearDown() override { controller_->stop(); }

    void send(Command c) {
        std::vector<Command> commands{std::move(c)};
        model_.exchange(commands);
    }
    // Waits for a snapshot that satisfies `pred`.
    SnapshotPtr wait_snapshot(const std::function<bool(const Snapshot&)>& pred) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        std::vector<Command> none;
        for (;;) {
            auto snap = model_.exchange(none);
            if (pred(*snap)) return snap;
            if (std::chrono::steady_clock::now() > deadline) return nullptr;
            std::this_thread::sleep_for(20ms);
        }
    }
    bool wait_line(const std::string& text) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            {
                std::lock_guard lock(mutex_);
                for (const auto& l : lines_)
                    if (l == text) return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
    std::uint16_t port() { return model_.exchange(none_)->port; }

    GuiModel model_;
    std::unique_ptr<ServerController> controller_;
    std::atomic<int> wakes_{0};
    std::mutex mutex_;
    std::vector<std::string> lines_;
    std::vector<Command> none_;
};

TEST_F(ControllerTest, SnapshotsShowSessionsRoomsTrafficAndTheEngine) {
    {
        std::lock_guard lock(mutex_);
        ASSERT_FALSE(lines_.empty());
        EXPECT_EQ(lines_[0].rfind("listening on 127.0.0.1:", 0), 0u) << lines_[0];
    }
    TestClient a(port()), b(port());
    a.login("가람");
    b.login("bob");
    a.join("lobby");
    b.join("lobby");
    for (int i = 0; i < 20; ++i) a.send(chat::Say{"lobby", "msg"});

    auto snap = wait_snapshot([](const Snapshot& s) {
        bool busy = false;
        for (const auto& t : s.traffic) busy |= t.frames_in > 0 && t.frames_out > 0;
        return s.sessions.size() == 2 && s.rooms.size() == 1 && busy && s.history.messages == 20;
    });
    ASSERT_NE(snap, nullptr);
    EXPECT_TRUE(snap->running);
    EXPECT_EQ(snap->engine, netcore::default_engine_name());
    EXPECT_EQ(snap->engine_stats.engine, snap->engine);
    EXPECT_EQ(snap->rooms[0].members.size(), 2u);
    // The room's history, as the rooms panel shows it, against --history-memory.
    EXPECT_NE(snap->rooms[0].epoch, 0u);
    EXPECT_EQ(snap->rooms[0].history_messages, 20u);
    EXPECT_GT(snap->rooms[0].history_bytes, 20u * 3);
    EXPECT_EQ(snap->history.bytes, snap->rooms[0].history_bytes);
    EXPECT_EQ(snap->history.byte_limit, std::uint64_t{64} << 20);
    EXPECT_EQ(snap->history.per_room_limit, 1000u);
    EXPECT_GT(wakes_.load(), 0);
    // At most a few snapshots per second, however busy the server.
    const auto before = model_.exchange(none_)->serial;
    std::this_thread::sleep_for(1s);
    EXPECT_LE(model_.exchange(none_)->serial - before, 6u);
}

TEST_F(ControllerTest, CarriesOutNoticeKickAndEngineCommands) {
    TestClient a(port()), b(port());
    a.login("alice");
    b.login("bob");

    send(ops::Notice{"점검 예정"});
    EXPECT_EQ(a.expect<chat::Notice>().text, "점검 예정");
    EXPECT_EQ(b.expect<chat::Notice>().text, "점검 예정");
    EXPECT_TRUE(wait_line("notice sent"));

    const std::string engine(netcore::default_engine_name());
    send(ops::SwitchEngine{engine});
    EXPECT_TRUE(wait_line("engine " + engine));
    send(ops::SwitchEngine{"no-such-engine"});
    auto snap = wait_snapshot([](const Snapshot& s) {
        return !s.last_result.ok &&
               s.last_result.message.find("unknown engine") != std::string::npos;
    });
    ASSERT_NE(snap, nullptr);
    EXPECT_EQ(snap->engine, engine);

    // A notice the protocol would not carry is refused with the reason, and nobody gets it.
    send(ops::Notice{std::string(1500, 'x')});
    EXPECT_TRUE(wait_line("error: notice not sent: the text is 1500 bytes; the limit is 1024"));

    send(ops::Kick{"bob", ""});
    EXPECT_EQ(b.expect<chat::Bye>().reason, "kicked by the operator");
    EXPECT_TRUE(b.wait_closed());
    EXPECT_NE(wait_snapshot([](const Snapshot& s) { return s.sessions.size() == 1; }), nullptr);
}

TEST_F(ControllerTest, StopsAndStartsAgainFromCommands) {
    TestClient a(port());
    a.login("alice");
    send(StopServer{});
    EXPECT_EQ(a.expect<chat::Bye>().reason, "server shutting down");
    auto stopped = wait_snapshot([](const Snapshot& s) { return !s.running; });
    ASSERT_NE(stopped, nullptr);
    EXPECT_TRUE(stopped->sessions.empty());

    send(StartServer{"127.0.0.1", 0, "secret", ""});
    auto running = wait_snapshot([](const Snapshot& s) { return s.running; });
    ASSERT_NE(running, nullptr);
    EXPECT_NE(running->port, 0);
    TestClient c(running->port);
    c.send(chat::Hello{chat::kProtocolVersion, "carol", "wrong"});
    EXPECT_NO_THROW(c.expect<chat::Error>());  // the new password applies
    TestClient d(running->port);
    EXPECT_EQ(d.login("dave", "secret").nick, "dave");
}

TEST(ServerControllerStart, ReportsAPortInUseAndKeepsRunningForTheWindow) {
    GuiModel model;
    ServerCommandLine first;
    first.port = 0;
    first.engine = std::string(netcore::default_engine_name());
    ServerController holder(
        first, model, [] {}, [](const std::string&) {});
    ASSERT_TRUE(holder.start());
    std::vector<Command> none;
    const auto taken = model.exchange(none)->port;

    GuiModel model2;
    ServerCommandLine second = first;
    second.port = taken;
    ServerController clash(
        second, model2, [] {}, [](const std::string&) {});
    EXPECT_FALSE(clash.start());
    const auto snap = model2.exchange(none);
    EXPECT_FALSE(snap->running);
    EXPECT_FALSE(snap->start_error.empty());
    clash.stop();
    holder.stop();
}

// --tls-port: the window's controller serves a plain and a TLS listener, says so in its
// listening lines and its top bar, and the sessions table gets each session's TLS version and
// cipher ("-" stays for the plaintext one).
TEST(ServerControllerTls, SessionsShowTheirTlsVersionAndCipher) {
    const std::string data = NETCORE_TLS_TEST_DATA;
    ServerCommandLine options;
    options.port = 0;
    options.engine = std::string(netcore::default_engine_name());
    options.tls_cert = data + "/server.pem";
    options.tls_key = data + "/server.key";
    options.tls_port = 0;
    if (!NETCORE_TLS_AVAILABLE) GTEST_SKIP() << "this build has no TLS";
    SKIP_WITHOUT_TLS_SERVER();
    options.tls = testing_support::test_server_tls();
    GuiModel model;
    std::vector<std::string> lines;
    std::mutex mutex;
    ServerController controller(
        options, model, [] {},
        [&](const std::string& line) {
            std::lock_guard lock(mutex);
            lines.push_back(line);
        });
    ASSERT_TRUE(controller.start());
    std::uint16_t tls_port = 0;
    {
        std::lock_guard lock(mutex);
        ASSERT_GE(lines.size(), 2u);
        EXPECT_EQ(lines[0].find("(tls)"), std::string::npos) << lines[0];
        const auto at = lines[1].find("(tls)");
        ASSERT_NE(at, std::string::npos) << lines[1];
        tls_port =
            static_cast<std::uint16_t>(std::stoi(lines[1].substr(lines[1].rfind(':', at) + 1)));
    }
    std::vector<Command> none;
    TestClient plain(model.exchange(none)->port);
    plain.login("plain");
    TestClient secure(tls_port, 0, testing_support::test_client_tls());
    ASSERT_EQ(secure.tls_error(), "");
    secure.login("secure");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    SnapshotPtr snap;
    while (std::chrono::steady_clock::now() < deadline) {
        snap = model.exchange(none);
        if (snap->sessions.size() == 2) break;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(snap->sessions.size(), 2u);
    EXPECT_EQ(snap->tls, "TLS on :" + std::to_string(tls_port));
    for (const auto& s : snap->sessions) {
        if (s.nick == "plain") {
            EXPECT_FALSE(s.tls);
            EXPECT_EQ(s.tls_version, "");
        } else {
            EXPECT_TRUE(s.tls);
            EXPECT_EQ(s.tls_version, secure.tls_info()->version);
            EXPECT_EQ(s.tls_cipher, secure.tls_info()->cipher);
        }
    }
    controller.stop();
}

}  // namespace
