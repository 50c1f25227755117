// Two client_gui windows on a virtual display (tests/gui/run_under_xvfb.sh, 1600x900) against
// a chat_server, driven with real key and pointer events from xdotool. What one window types
// is checked twice: by a protocol-level observer in the same room (it receives the MESSAGE)
// and by the other window, whose test hooks print each message as it is drawn. Board moves
// (a click, then arrow keys), a whisper, an operator notice, an engine switch on the server
// and a server restart follow, and a screenshot of both windows is kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <memory>
#include <thread>

#include "gui_driver.hpp"
#include "netcore/engine_registry.hpp"
#include "test_client.hpp"
#include "transport.hpp"

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
                                 "xvfb-demo", "--log-level", "debug"},
        kArtifacts + "/" + log);
}

std::unique_ptr<GuiProcess> start_client(std::uint16_t port, const std::string& nick,
                                         const std::string& geometry, const std::string& log) {
    return std::make_unique<GuiProcess>(
        kClientGui,
        std::vector<std::string>{"--connect", "127.0.0.1:" + std::to_string(port), "--nick", nick,
                                 "--geometry", geometry},
        kArtifacts + "/" + log);
}

// The next T the observer receives that `pred` accepts, skipping everything else.
template <class T, class Pred>
std::optional<T> next_matching(TestClient& c, Pred pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto msg = c.read(10s);
        if (auto* m = std::get_if<T>(&msg); m && pred(*m)) return *m;
    }
    return std::nullopt;
}

bool has_piece(const chat::Board& b, const std::string& nick, int x, int y) {
    for (const auto& p : b.pieces)
        if (p.nick == nick && p.x == x && p.y == y) return true;
    return false;
}

// Types `text` into the box of `tab` with real key events and checks what the box holds.
// xdotool types a character missing from the keymap by remapping a spare keycode for it; a
// window that reads the key before it saw the new mapping loses the character, so typing is
// slow and, if the box still differs, cleared and done again.
bool type_into(GuiProcess& gui, const std::string& tab, const std::string& text) {
    for (int attempt = 1; attempt <= 3; ++attempt) {
        if (run_tool({"xdotool", "type", "--delay", "150", text}) != 0) return false;
        if (gui.wait_exact("typing " + tab + " " + text, 3s)) return true;
        std::printf("typing attempt %d: the box holds '%s'; retyping\n", attempt,
                    gui.last_line("typing " + tab).c_str());
        run_tool({"xdotool", "keydown", "ctrl+a", "sleep", "0.15", "keyup", "ctrl+a"});
        press_key("BackSpace");
        gui.wait_exact("typing " + tab + " ", 3s);
    }
    return false;
}

TEST(ClientGui, TwoWindowsChatInKoreanMovePiecesAndSurviveAServerRestart) {
    auto server = start_server(0, "client_gui_server.log");
    const std::uint16_t port = server->wait_listening();
    ASSERT_NE(port, 0) << "chat_server did not start";

    TestClient observer(port);
    observer.login("관찰자");
    observer.join("lobby");

    auto minsu = start_client(port, "민수", "800x900+0+0", "client_gui_minsu.log");
    auto jiyoung = start_client(port, "지영", "800x900+800+0", "client_gui_jiyoung.log");
    ASSERT_TRUE(minsu->wait_state("link=connected nick=민수")) << minsu->state();
    ASSERT_TRUE(jiyoung->wait_state("link=connected nick=지영")) << jiyoung->state();
    ASSERT_TRUE(minsu->wait_state("rooms=lobby tab=room:lobby")) << minsu->state();
    ASSERT_TRUE(jiyoung->wait_state("rooms=lobby tab=room:lobby")) << jiyoung->state();

    // 민수 clicks into the lobby's input box, types Korean with key events and presses Enter.
    const std::string typed = "안녕하세요 지영님, 보드 한 판?";
    ASSERT_TRUE(minsu->wait_widget("input:room:lobby"));
    ASSERT_TRUE(minsu->click(minsu->widget("input:room:lobby")));
    ASSERT_TRUE(type_into(*minsu, "room:lobby", typed)) << "xdotool could not type " << typed;
    ASSERT_TRUE(press_key("Return"));

    // The observer in the room receives it from 민수...
    const auto said = next_matching<chat::Message>(
        observer, [&](const chat::Message& m) { return m.from == "민수"; });
    ASSERT_TRUE(said) << "the observer saw no MESSAGE from 민수";
    EXPECT_EQ(said->text, typed);
    EXPECT_EQ(said->room, "lobby");
    // ...and 지영's window draws it.
    const std::string shown = "shown lobby " + std::to_string(said->seq) + " 민수: " + typed;
    EXPECT_TRUE(jiyoung->wait_exact(shown)) << "지영's window did not show the message";

    // The observer answers in Korean; both windows render it.
    observer.send(chat::Say{"lobby", "관찰자입니다: 한글 렌더링 확인"});
    const auto reply = next_matching<chat::Message>(
        observer, [](const chat::Message& m) { return m.from == "관찰자"; });
    ASSERT_TRUE(reply);
    const std::string reply_line =
        "shown lobby " + std::to_string(reply->seq) + " 관찰자: 관찰자입니다: 한글 렌더링 확인";
    EXPECT_TRUE(minsu->wait_exact(reply_line));
    EXPECT_TRUE(jiyoung->wait_exact(reply_line));

    // 민수 clicks square (2, 2) of the lobby's board, then presses Right and Down.
    ASSERT_TRUE(minsu->wait_widget("board:lobby"));
    const Rect board = minsu->widget("board:lobby");
    const int cell = board.w / 8;
    ASSERT_TRUE(minsu->click_at(board.x + cell * 5 / 2, board.y + cell * 5 / 2));
    auto moved = next_matching<chat::Board>(
        observer, [](const chat::Board& b) { return has_piece(b, "민수", 2, 2); });
    ASSERT_TRUE(moved) << "the click on the board sent no MOVE to (2, 2)";
    EXPECT_TRUE(jiyoung->wait_exact("board lobby 민수@2,2"));
    ASSERT_TRUE(press_key("Right"));
    ASSERT_TRUE(press_key("Down"));
    moved = next_matching<chat::Board>(
        observer, [](const chat::Board& b) { return has_piece(b, "민수", 3, 3); });
    ASSERT_TRUE(moved) << "the arrow keys did not move 민수's piece to (3, 3)";
    EXPECT_TRUE(jiyoung->wait_exact("board lobby 민수@3,3")) << "지영 did not see the move";

    // 지영 places her piece too, and 민수 sees it.
    ASSERT_TRUE(jiyoung->wait_widget("board:lobby"));
    const Rect board2 = jiyoung->widget("board:lobby");
    ASSERT_TRUE(
        jiyoung->click_at(board2.x + board2.w / 8 * 11 / 2, board2.y + board2.w / 8 * 13 / 2));
    EXPECT_TRUE(minsu->wait_exact("board lobby 민수@3,3 지영@5,6"));

    // 지영 clicks 민수 in the member list: a whisper tab opens with the keyboard in its box.
    ASSERT_TRUE(jiyoung->click_until("member:lobby:민수", "tab=whisper:민수")) << jiyoung->state();
    jiyoung->settle(300ms);
    ASSERT_TRUE(type_into(*jiyoung, "whisper:민수", "psst, just us"));
    ASSERT_TRUE(press_key("Return"));
    // In 민수's window the whisper tab appears; a click on it shows the whisper.
    ASSERT_TRUE(minsu->wait_widget("tab:whisper:지영")) << "no whisper tab in 민수's window";
    minsu->settle(300ms);
    ASSERT_TRUE(minsu->click_until("tab:whisper:지영", "tab=whisper:지영")) << minsu->state();
    EXPECT_TRUE(minsu->wait_exact("whisper 지영 psst, just us"));
    ASSERT_TRUE(minsu->click_until("tab:room:lobby", "tab=room:lobby")) << minsu->state();

    // The operator's notice stands out in both windows.
    server->command("/notice 점검 안내: 서버가 곧 엔진을 바꿉니다");
    EXPECT_TRUE(minsu->wait_exact("notice 점검 안내: 서버가 곧 엔진을 바꿉니다"));
    EXPECT_TRUE(jiyoung->wait_exact("notice 점검 안내: 서버가 곧 엔진을 바꿉니다"));
    ASSERT_TRUE(jiyoung->click_until("tab:room:lobby", "tab=room:lobby")) << jiyoung->state();
    minsu->settle(300ms);
    jiyoung->settle(300ms);
    ASSERT_TRUE(screenshot(kArtifacts, "client_gui.png"));

    // An engine switch on the server: nobody is disconnected, only the engine name changes
    // (the clients ask with INFO_REQ every few seconds).
    const auto engines = netcore::engines();
    if (engines.size() > 1) {
        const std::string to(engines[1].name);
        server->command("/engine " + to);
        EXPECT_TRUE(minsu->wait_state("link=connected nick=민수 engine=" + to)) << minsu->state();
        EXPECT_TRUE(jiyoung->wait_state("link=connected nick=지영 engine=" + to))
            << jiyoung->state();
    }

    // The server goes away: both windows say so and retry; a new server on the same port
    // takes them back into lobby, and the lost connection is marked in the room.
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(15s), 0);
    EXPECT_TRUE(minsu->wait_state("link=reconnecting")) << minsu->state();
    EXPECT_TRUE(jiyoung->wait_state("link=reconnecting")) << jiyoung->state();
    server = start_server(port, "client_gui_server_again.log");
    ASSERT_EQ(server->wait_listening(), port);
    EXPECT_TRUE(minsu->wait_state("link=connected nick=민수", 20s)) << minsu->state();
    EXPECT_TRUE(jiyoung->wait_state("link=connected nick=지영", 20s)) << jiyoung->state();
    TestClient observer2(port);
    observer2.login("관찰자2");
    observer2.join("lobby");
    // Speak only once 민수 is back in the room (WELCOME comes before the rejoin's JOINED).
    EXPECT_TRUE(minsu->wait_widget("member:lobby:관찰자2"));
    observer2.send(chat::Say{"lobby", "다시 왔어요"});
    const auto again = next_matching<chat::Message>(
        observer2, [](const chat::Message& m) { return m.text == "다시 왔어요"; });
    ASSERT_TRUE(again);
    EXPECT_TRUE(
        minsu->wait_exact("shown lobby " + std::to_string(again->seq) + " 관찰자2: 다시 왔어요"));
    ASSERT_TRUE(screenshot(kArtifacts, "client_gui_reconnected.png"));

    minsu->process().signal(SIGTERM);
    jiyoung->process().signal(SIGTERM);
    EXPECT_EQ(minsu->process().wait_exit(10s), 0);
    EXPECT_EQ(jiyoung->process().wait_exit(10s), 0);
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait_exit(15s), 0);
}

// The window started as scripts/run.sh --tls starts it: over TLS, the certificate checked
// against the test CA; the state line and the status bar show what was negotiated, and a
// message from a TLS observer is drawn.
TEST(ClientGui, ConnectsOverTlsAndShowsWhatWasNegotiated) {
    const std::string data = NETCORE_TLS_TEST_DATA;
    ::mkdir(kArtifacts.c_str(), 0755);
    ServerProcess server(kChatServer,
                         {"--port", "0", "--rate-limit", "0", "--tls-cert", data + "/server.pem",
                          "--tls-key", data + "/server.key", "--log-level", "debug"},
                         kArtifacts + "/client_gui_tls_server.log");
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0) << "chat_server did not start over TLS";

    GuiProcess minsu(kClientGui,
                     {"--connect", "localhost:" + std::to_string(port), "--nick", "민수", "--tls",
                      "--ca", data + "/ca.pem", "--geometry", "800x600+0+0"},
                     kArtifacts + "/client_gui_tls_minsu.log");
    ASSERT_TRUE(minsu.wait_state("link=connected nick=민수")) << minsu.state();
    EXPECT_TRUE(minsu.wait_state(" tls=TLSv1.")) << minsu.state();
    EXPECT_TRUE(minsu.wait_widget("status_tls"));

    TestClient observer(port, 0, test_client_tls());
    ASSERT_EQ(observer.tls_error(), "");
    observer.login("관찰자");
    observer.join("lobby");
    EXPECT_TRUE(minsu.wait_widget("member:lobby:관찰자"));
    observer.send(chat::Say{"lobby", "암호 너머로 안녕"});
    const auto said = next_matching<chat::Message>(
        observer, [](const chat::Message& m) { return m.text == "암호 너머로 안녕"; });
    ASSERT_TRUE(said);
    EXPECT_TRUE(
        minsu.wait_exact("shown lobby " + std::to_string(said->seq) + " 관찰자: 암호 너머로 안녕"));
    ASSERT_TRUE(screenshot(kArtifacts, "client_gui_tls.png"));

    minsu.process().signal(SIGTERM);
    EXPECT_EQ(minsu.process().wait_exit(10s), 0);
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(15s), 0);
}

}  // namespace
