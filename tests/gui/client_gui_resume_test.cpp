// client_gui resuming its room (protocol revision 2) on a virtual display, against a real
// chat_server: the window reaches the server through a TCP proxy in this test, while a
// protocol-level client talks to the server directly. The window joins with scrollback and a
// divider; the proxy then cuts the connection while the other client keeps talking, and after
// the reconnect the window shows every message once, in order, with no gap marker. Then the
// server restarts, and the window shows that the room started over. What the window drew is
// read from its test hooks: "lines ROOM seqs=RUNS gaps=N dividers=N" whenever the room's lines
// change (a message shown twice would break the run), and each gap or divider line.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <memory>
#include <thread>

#include "gui_driver.hpp"
#include "tcp_proxy.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

const std::string kClientGui = CLIENT_GUI_PATH;
const std::string kChatServer = CHAT_SERVER_PATH;
const std::string kArtifacts = NETCHAT_ARTIFACTS_DIR;

std::unique_ptr<ServerProcess> start_server(std::uint16_t port, const std::string& log) {
    ::mkdir(kArtifacts.c_str(), 0755);
    return std::make_unique<ServerProcess>(
        kChatServer,
        std::vector<std::string>{"--port", std::to_string(port), "--rate-limit", "0", "--name",
                                 "xvfb-resume", "--log-level", "debug"},
        kArtifacts + "/" + log);
}

// Says `text` in lobby and returns its seq (read back from the sender's own copy).
std::uint64_t say(TestClient& c, const std::string& text) {
    c.send(chat::Say{"lobby", text});
    for (;;) {
        const auto msg = c.read(10s);
        if (auto* m = std::get_if<chat::Message>(&msg); m && m->text == text) return m->seq;
    }
}

std::string lines(std::uint64_t last_seq, int gaps, int dividers) {
    return "lines lobby seqs=1-" + std::to_string(last_seq) + " gaps=" + std::to_string(gaps) +
           " dividers=" + std::to_string(dividers);
}

TEST(ClientGuiResume, ScrollbackThenACutConnectionResumesWithNoGapThenARestartIsShown) {
    auto server = start_server(0, "client_gui_resume_server.log");
    const std::uint16_t port = server->wait_listening();
    ASSERT_NE(port, 0) << "chat_server did not start";
    TcpProxy proxy(port);

    TestClient talker(port);
    talker.login("지영");
    talker.join("lobby");
    std::uint64_t last = 0;
    for (int i = 1; i <= 5; ++i) last = say(talker, "before you came " + std::to_string(i));
    ASSERT_EQ(last, 5u);

    // The window joins lobby through the proxy: the five messages as scrollback, a divider.
    GuiProcess gui(kClientGui,
                   {"--connect", "127.0.0.1:" + std::to_string(proxy.port()), "--nick", "민수",
                    "--geometry", "1000x700+0+0"},
                   kArtifacts + "/client_gui_resume.log");
    ASSERT_TRUE(gui.wait_state("link=connected nick=민수")) << gui.state();
    EXPECT_TRUE(
        gui.wait_exact("divider lobby above: 5 messages from before you joined; live "
                       "from here"));
    for (int i = 6; i <= 8; ++i) last = say(talker, "live " + std::to_string(i));
    EXPECT_TRUE(gui.wait_exact(lines(8, 0, 1))) << gui.last_line("lines lobby");

    // The path to the server dies; the other client keeps talking meanwhile.
    ASSERT_EQ(proxy.cut(), 1);
    EXPECT_TRUE(gui.wait_state("link=reconnecting")) << gui.state();
    for (int i = 9; i <= 20; ++i) last = say(talker, "while you were away " + std::to_string(i));
    proxy.release();

    // Back: the twelve replayed under the old ones, then live again, each message once.
    ASSERT_TRUE(gui.wait_state("link=connected nick=민수", 20s)) << gui.state();
    EXPECT_TRUE(gui.wait_exact(lines(20, 0, 2))) << gui.last_line("lines lobby");
    last = say(talker, "and live again");
    EXPECT_TRUE(gui.wait_exact(lines(21, 0, 2))) << gui.last_line("lines lobby");
    EXPECT_EQ(gui.last_line("gap lobby"), "") << "a gap was shown where none happened";
    EXPECT_GE(proxy.accepted(), 2);
    gui.settle(300ms);
    ASSERT_TRUE(screenshot(kArtifacts, "client_gui_resumed.png"));

    // The server restarts: its rooms' history is gone, and the room says it started over.
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(15s), 0);
    EXPECT_TRUE(gui.wait_state("link=reconnecting")) << gui.state();
    server = start_server(port, "client_gui_resume_server_again.log");
    ASSERT_EQ(server->wait_listening(), port);
    ASSERT_TRUE(gui.wait_state("link=connected nick=민수", 20s)) << gui.state();
    EXPECT_TRUE(
        gui.wait_exact("gap lobby the room started over (the server lost its history, a "
                       "restart?): seq starts again at 1"))
        << gui.last_line("gap lobby");
    TestClient talker2(port);
    talker2.login("지영");
    talker2.join("lobby");
    EXPECT_EQ(say(talker2, "a new beginning"), 1u);
    EXPECT_TRUE(gui.wait_exact("shown lobby 1 지영: a new beginning"));
    gui.settle(300ms);
    ASSERT_TRUE(screenshot(kArtifacts, "client_gui_started_over.png"));

    gui.process().signal(SIGTERM);
    EXPECT_EQ(gui.process().wait_exit(10s), 0);
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(15s), 0);
}

}  // namespace
