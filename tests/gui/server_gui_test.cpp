// server_gui on a virtual display (tests/gui/run_under_xvfb.sh), driven the way a person would:
// protocol clients over loopback, and mouse and keyboard events from xdotool. The window's
// test hooks (NETCHAT_GUI_TEST=1) print where its widgets are, so the clicks land on them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "gui_driver.hpp"
#include "netcore/engine_registry.hpp"
#include "test_client.hpp"
#ifdef NETCHAT_CLUSTER_TEST
#include "redis_server.hpp"
#include "server_process.hpp"
#endif

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

const std::string kServerGui = SERVER_GUI_PATH;
const std::string kArtifacts = NETCHAT_ARTIFACTS_DIR;

void screenshot(const std::string& name) {
    ASSERT_TRUE(testing_support::screenshot(kArtifacts, name));
}

// server_gui as a process, with its stdout parsed.
class GuiProcess : public testing_support::GuiProcess {
  public:
    GuiProcess(const std::vector<std::string>& args, const std::string& log_name)
        : testing_support::GuiProcess((::mkdir(kArtifacts.c_str(), 0755), kServerGui), args,
                                      kArtifacts + "/" + log_name) {}
};

std::vector<std::string> engine_names() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

TEST(ServerGui, ShowsClientsInTheSessionsTableAndKicksAndBroadcastsByInput) {
    GuiProcess gui({"--port", "0", "--name", "gui-test"}, "server_gui_table.log");
    std::string engine;
    const std::uint16_t port = gui.wait_listening(&engine);
    ASSERT_NE(port, 0) << "no 'listening on' line";
    EXPECT_EQ(engine, netcore::default_engine_name());

    const std::vector<std::string> nicks = {"민수", "지영", "alice", "bob", "carol", "dave"};
    std::vector<TestClient> clients;
    for (std::size_t i = 0; i < nicks.size(); ++i) {
        clients.emplace_back(port);
        auto& c = clients.back();
        EXPECT_EQ(c.login(nicks[i]).server_name, "gui-test");
        // Not join(): a room with pieces answers JOINED and then BOARD, and the replies are
        // not what this test checks.
        c.send(chat::Join{"lobby"});
        if (i % 2 == 0) c.send(chat::Join{"보드게임"});
        c.send(chat::Move{"lobby", static_cast<std::uint8_t>(i),
                          static_cast<std::uint8_t>(i * 3 % 8)});
        if (i % 2 == 0)
            c.send(chat::Move{"보드게임", static_cast<std::uint8_t>(7 - i),
                              static_cast<std::uint8_t>(i)});
        c.send(chat::Say{"lobby", "안녕하세요, " + nicks[i]});
    }

    // The table submits a kick button per visible row: one per client means every row is shown.
    ASSERT_TRUE(gui.wait_state("sessions=6 rooms=2")) << "state: " << gui.state();
    for (const auto& n : nicks) ASSERT_TRUE(gui.wait_widget("kick:" + n)) << n;
    // A few seconds of chat so the traffic plots have something to show.
    for (int round = 0; round < 30; ++round) {
        for (std::size_t i = 0; i < clients.size(); i += 2)
            clients[i].send(chat::Say{"lobby", "round " + std::to_string(round)});
        std::this_thread::sleep_for(100ms);
    }
    std::this_thread::sleep_for(300ms);
    screenshot("server_gui.png");

    // Sort by nick with a click on its header: ASCII nicks first, Hangul (higher UTF-8
    // bytes) after, each row still with its own kick button.
    ASSERT_TRUE(gui.wait_widget("header:nick"));
    ASSERT_TRUE(click(gui.widget("header:nick")));
    const std::vector<std::string> by_nick = {"alice", "bob", "carol", "dave", "민수", "지영"};
    auto in_nick_order = [&](const std::string&) {
        for (std::size_t i = 1; i < by_nick.size(); ++i)
            if (gui.widget("kick:" + by_nick[i - 1]).y >= gui.widget("kick:" + by_nick[i]).y)
                return false;
        return true;
    };
    EXPECT_TRUE(in_nick_order("") || gui.wait_line(in_nick_order, 5s)) << "rows not sorted by nick";

    // Kick dave with the mouse.
    gui.settle();
    ASSERT_TRUE(click(gui.widget("kick:dave")));
    auto& dave = clients.back();
    bool got_bye = false;
    for (int i = 0; i < 200 && !got_bye; ++i) {
        const auto msg = dave.read(5s);
        if (auto* bye = std::get_if<chat::Bye>(&msg)) {
            EXPECT_EQ(bye->reason, "kicked by the operator");
            got_bye = true;
        }
    }
    EXPECT_TRUE(got_bye);
    EXPECT_TRUE(dave.wait_closed());
    EXPECT_TRUE(gui.wait_state("sessions=5")) << "state: " << gui.state();

    // Type a notice and press Enter: every session gets NOTICE.
    ASSERT_TRUE(gui.wait_widget("notice_text"));
    ASSERT_TRUE(click(gui.widget("notice_text")));
    ASSERT_EQ(run_tool({"xdotool", "type", "--delay", "30", "maintenance at ten"}), 0);
    ASSERT_TRUE(press_key("Return"));
    ASSERT_TRUE(gui.wait_line([](const std::string& l) { return l == "notice sent"; }));
    for (std::size_t i = 0; i + 1 < clients.size(); ++i) {
        bool got_notice = false;
        for (int n = 0; n < 200 && !got_notice; ++n) {
            const auto msg = clients[i].read(5s);
            if (auto* notice = std::get_if<chat::Notice>(&msg))
                got_notice = notice->text == "maintenance at ten";
        }
        EXPECT_TRUE(got_notice) << nicks[i];
    }

    gui.process().signal(SIGTERM);
    EXPECT_EQ(clients[0].expect<chat::Bye>(5s).reason, "server shutting down");
    EXPECT_EQ(gui.process().wait_exit(15s), 0);
}

// While several clients chat, the operator opens the engine dropdown and picks another engine
// with the mouse. Nobody is disconnected, every message arrives, and each receiver's room
// seq run stays unbroken across the switch.
TEST(ServerGui, EngineDropdownSwitchesLiveWhileClientsChat) {
    const auto engines = engine_names();
    const std::string from = engines.front();
    const std::string to = engines.size() > 1 ? engines[1] : engines.front();
    if (from == to)
        std::printf("note: this build has one engine (%s); the dropdown re-selects it\n",
                    from.c_str());

    GuiProcess gui({"--engine", from, "--port", "0", "--rate-limit", "0"}, "server_gui_switch.log");
    std::string engine;
    const std::uint16_t port = gui.wait_listening(&engine);
    ASSERT_NE(port, 0);
    ASSERT_EQ(engine, from);

    constexpr int kClients = 8, kSenders = 3;
    std::vector<TestClient> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back(port);
        clients.back().login("user" + std::to_string(i));
    }
    // Everyone joins before anyone speaks, so every receiver sees every message.
    for (int i = 0; i < kClients; ++i) clients[static_cast<std::size_t>(i)].join("lobby");
    ASSERT_TRUE(gui.wait_state("sessions=8")) << gui.state();

    // Senders keep talking until the switch is confirmed, then say 100 more each.
    std::atomic<bool> switched{false};
    std::atomic<bool> send_failed{false};
    std::vector<int> sent(kSenders, 0);
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s)
        senders.emplace_back([&, s] {
            int after = 0;
            try {
                for (int n = 0; n < 5000 && after < 100; ++n) {
                    clients[static_cast<std::size_t>(s)].send(
                        chat::Say{"lobby", "s" + std::to_string(s) + " " + std::to_string(n)});
                    sent[static_cast<std::size_t>(s)] = n + 1;
                    if (switched) ++after;
                    std::this_thread::sleep_for(3ms);
                }
            } catch (const std::exception&) {
                send_failed = true;
            }
        });

    std::this_thread::sleep_for(300ms);  // mid-burst
    ASSERT_TRUE(gui.wait_widget("engine_combo"));
    gui.settle(200ms);
    ASSERT_TRUE(click(gui.widget("engine_combo")));
    ASSERT_TRUE(gui.wait_widget("engine_item:" + to)) << "the dropdown did not open";
    gui.settle();  // the popup's final place
    ASSERT_TRUE(click(gui.widget("engine_item:" + to)));
    // The same reply chat_server gives to "/engine NAME".
    const bool confirmed = gui.wait_line([&](const std::string& l) { return l == "engine " + to; });
    switched = true;
    for (auto& t : senders) t.join();
    ASSERT_TRUE(confirmed) << "no 'engine " << to << "' after choosing it in the dropdown";
    ASSERT_FALSE(send_failed) << "a sender lost its connection";

    int total = 0;
    for (int n : sent) total += n;
    std::printf("%d messages from %d senders to %d clients across the switch %s -> %s\n", total,
                kSenders, kClients, from.c_str(), to.c_str());

    for (int i = 0; i < kClients; ++i) {
        auto& c = clients[static_cast<std::size_t>(i)];
        std::vector<int> next_n(kSenders, 0);
        std::uint64_t last_seq = 0;
        int received = 0;
        while (received < total) {
            const auto msg = c.read(10s);  // throws on timeout or EOF
            const auto* m = std::get_if<chat::Message>(&msg);
            if (!m) continue;  // ROOM_EVENTs of later joiners
            if (last_seq != 0) {
                ASSERT_EQ(m->seq, last_seq + 1) << "client " << i;
            }
            last_seq = m->seq;
            std::istringstream text(m->text);
            std::string who;
            int n = -1;
            text >> who >> n;
            const int s = who[1] - '0';
            ASSERT_EQ(n, next_n[static_cast<std::size_t>(s)]) << "client " << i << " sender " << s;
            ++next_n[static_cast<std::size_t>(s)];
            ++received;
        }
        c.send(chat::InfoReq{});
        chat::AnyMessage reply;
        do reply = c.read(5s);
        while (!std::holds_alternative<chat::Info>(reply));
        EXPECT_EQ(std::get<chat::Info>(reply).engine, to) << "client " << i;
    }
    EXPECT_TRUE(gui.wait_state("engine=" + to + " sessions=8")) << gui.state();
    std::this_thread::sleep_for(500ms);
    screenshot("server_gui_switched.png");

    gui.process().signal(SIGTERM);
    EXPECT_EQ(gui.process().wait_exit(15s), 0);
}

#ifdef NETCHAT_CLUSTER_TEST
// server_gui as one node of a cluster, with chat_server as another: the Cluster panel shows
// both nodes (with their sessions and heartbeats), the Redis link with its round trip, and the
// shared room with its epoch and seq; the sessions table says its sessions are this node's.
TEST(ServerGui, ClusterPanelShowsTheNodesTheRedisLinkAndTheRooms) {
    NETCHAT_SKIP_WITHOUT_REDIS();
    RedisServer redis;
    GuiProcess gui({"--port", "0", "--cluster", redis.url(), "--node", "gui-node"},
                   "server_gui_cluster.log");
    const std::uint16_t port = gui.wait_listening(nullptr);
    ASSERT_NE(port, 0);
    ServerProcess other(CHAT_SERVER_PATH,
                        {"--port", "0", "--cluster", redis.url(), "--node", "other-node"},
                        kArtifacts + "/server_gui_cluster_other.log");
    const std::uint16_t other_port = other.wait_listening();
    ASSERT_NE(other_port, 0);
    ASSERT_TRUE(gui.wait_line([](const std::string& l) {
        return l.rfind("cluster up=1 nodes=gui-node,other-node ", 0) == 0;
    })) << "the panel never showed both nodes with Redis up";

    std::vector<TestClient> here, there;
    const std::vector<std::string> nicks = {"ann", "bob", "민수", "carol", "dave"};
    for (std::size_t i = 0; i < nicks.size(); ++i) {
        auto& list = i % 2 == 0 ? here : there;
        list.emplace_back(i % 2 == 0 ? port : other_port);
        auto& c = list.back();
        // Until both nodes have reached Redis, a HELLO may be answered `unavailable`.
        for (int attempt = 0;; ++attempt) {
            c.send(chat::Hello{chat::kProtocolVersion, nicks[i], ""});
            if (std::holds_alternative<chat::Welcome>(c.read())) break;
            ASSERT_LT(attempt, 50);
            std::this_thread::sleep_for(100ms);
        }
        c.send(chat::Join{"lobby"});
        if (i < 2) c.send(chat::Join{"dev"});
    }
    for (int i = 0; i < 12; ++i)
        there[i % there.size()].send(chat::Say{"lobby", "hello " + std::to_string(i)});
    ASSERT_TRUE(gui.wait_state("sessions=3 rooms=2")) << "state: " << gui.state();
    // The nodes' session counts come with their heartbeats (every 2 s).
    ASSERT_TRUE(gui.wait_line([](const std::string& l) {
        return l == "cluster up=1 nodes=gui-node,other-node sessions=5";
    })) << "the cluster's sessions were never counted";
    std::this_thread::sleep_for(500ms);
    screenshot("server_gui_cluster.png");

    gui.process().signal(SIGTERM);
    EXPECT_EQ(gui.process().wait_exit(15s), 0);
    other.signal(SIGTERM);
    EXPECT_EQ(other.wait_exit(10s), 0);
}
#endif

}  // namespace
