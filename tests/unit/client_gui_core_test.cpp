// The client window's non-GUI half, without a display: what the user types, the command line,
// the reconnect backoff, and the network controller against a real server in this process
// (connect, refusals, a server that is not there, reconnect and rejoin).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "chat_input.hpp"
#include "client_command_line.hpp"
#include "client_controller.hpp"
#include "client_gui_harness.hpp"
#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace client_gui;
using namespace client_gui::test_harness;
using namespace std::chrono_literals;
using testing_support::ServerUnderTest;
using testing_support::TestClient;

namespace {

// The server side runs on the platform's default engine (epoll on Linux, iocp on Windows).
const std::string kServerEngine(netcore::default_engine_name());

TEST(ChatInput, PlainTextCommandsAndTheLimit) {
    auto say = std::get<SayInput>(parse_chat_input("안녕하세요"));
    EXPECT_EQ(say.text, "안녕하세요");
    auto w = std::get<WhisperInput>(parse_chat_input("/w 지영 몰래 hi"));
    EXPECT_EQ(w.to, "지영");
    EXPECT_EQ(w.text, "몰래 hi");
    EXPECT_EQ(std::get<WhisperInput>(parse_chat_input("hello", "bob")).to, "bob");
    EXPECT_EQ(std::get<JoinInput>(parse_chat_input("/join 보드게임")).room, "보드게임");
    EXPECT_EQ(std::get<LeaveInput>(parse_chat_input("/leave")).room, "");
    EXPECT_EQ(std::get<SayInput>(parse_chat_input("//slash")).text, "/slash");
    EXPECT_TRUE(std::holds_alternative<InputProblem>(parse_chat_input("")));
    EXPECT_TRUE(std::holds_alternative<InputProblem>(parse_chat_input("/w")));
    EXPECT_TRUE(std::holds_alternative<InputProblem>(parse_chat_input("/w bob")));
    EXPECT_TRUE(std::holds_alternative<InputProblem>(parse_chat_input("/nope")));
    EXPECT_TRUE(std::holds_alternative<SayInput>(parse_chat_input(std::string(1024, 'x'))));
    const auto too_long = parse_chat_input(std::string(1025, 'x'));
    ASSERT_TRUE(std::holds_alternative<InputProblem>(too_long));
    EXPECT_NE(std::get<InputProblem>(too_long).text.find("1025"), std::string::npos);
    // Hangul is three bytes a syllable: the limit is in bytes, as the protocol counts.
    EXPECT_EQ(text_bytes("가나다"), 9u);
    EXPECT_EQ(text_bytes("/w bob hi"), 2u);
    EXPECT_EQ(clock_time(0).size(), 8u);
}

TEST(ClientCommandLine, ConnectNickRoomsAndGeometry) {
    std::string host;
    std::uint16_t port = 0;
    EXPECT_TRUE(split_host_port("127.0.0.1:7777", host, port));
    EXPECT_EQ(host, "127.0.0.1");
    EXPECT_EQ(port, 7777);
    EXPECT_TRUE(split_host_port("[::1]:80", host, port));
    EXPECT_EQ(host, "::1");
    EXPECT_FALSE(split_host_port("localhost", host, port));
    EXPECT_FALSE(split_host_port("h:0", host, port));
    EXPECT_FALSE(split_host_port("h:99999", host, port));
    EXPECT_FALSE(split_host_port("h:12ab", host, port));

    Geometry g;
    EXPECT_TRUE(parse_geometry("640x800+10+20", g));
    EXPECT_EQ(g.width, 640);
    EXPECT_EQ(*g.x, 10);
    EXPECT_TRUE(parse_geometry("800x600", g));
    EXPECT_FALSE(parse_geometry("800x600+1", g));
    EXPECT_FALSE(parse_geometry("big", g));

    auto parse = [](std::vector<std::string> args) {
        ClientCommandLine cl;
        const std::string problem = check_client_arguments(std::move(args), cl);
        EXPECT_EQ(problem, "");
        return cl;
    };
    auto problem = [](std::vector<std::string> args) {
        ClientCommandLine cl;
        return check_client_arguments(std::move(args), cl);
    };
    const auto cl = parse({"--connect", "10.0.0.1:7000", "--nick", "민수", "--room", "보드게임"});
    EXPECT_EQ(cl.host, "10.0.0.1");
    EXPECT_EQ(cl.port, 7000);
    EXPECT_EQ(cl.rooms, (std::vector<std::string>{"lobby", "보드게임"}));
    EXPECT_TRUE(cl.auto_connect());
    EXPECT_NE(problem({"--connect", "nowhere", "--nick", "a"}).find("HOST:PORT"),
              std::string::npos);
    EXPECT_NE(problem({"--connect", "h:1"}).find("needs --nick"), std::string::npos);
    EXPECT_NE(problem({"--nick", "two words"}).find("not a valid nick"), std::string::npos);
    EXPECT_NE(problem({"--room", "a b"}).find("not a valid room"), std::string::npos);
    EXPECT_NE(problem({"--geometry", "big"}).find("WxH"), std::string::npos);
    EXPECT_NE(problem({"--engine", "nope"}).find("nope"), std::string::npos);
    EXPECT_FALSE(parse({}).auto_connect());
}

TEST(Backoff, DoublesUpToTheCapWithSomeJitter) {
    Backoff b;
    EXPECT_EQ(b.base(1), 500ms);
    EXPECT_EQ(b.base(2), 1000ms);
    EXPECT_EQ(b.base(5), 8000ms);
    EXPECT_EQ(b.base(50), 8000ms);
    std::mt19937 rng(1);
    for (int i = 0; i < 100; ++i) {
        const auto d = b.delay(3, rng);
        EXPECT_GE(d, 2000ms);
        EXPECT_LE(d, 2500ms);
    }
}

// The next T the observer receives, skipping everything else.
template <class T>
T next(TestClient& c) {
    for (;;) {
        auto msg = c.read(5s);
        if (auto* m = std::get_if<T>(&msg)) return *m;
    }
}

TEST(ClientController, LogsInJoinsChatsMovesAndMeasures) {
    ServerUnderTest server(kServerEngine);
    TestClient observer(server.port());
    observer.login("observer");
    observer.join("lobby");

    Harness h;
    h.command(connect_to(server.port(), "민수"));
    auto v = h.wait([](const ClientView& v) {
        return v.link == Link::Ready && v.rooms.count("lobby") && v.rooms.count("보드게임");
    });
    ASSERT_TRUE(v) << "never logged in and joined";
    EXPECT_EQ(v->nick, "민수");
    EXPECT_EQ(v->engine, kServerEngine);
    EXPECT_EQ(observer.expect<chat::RoomEvent>().nick, "민수");

    h.command(SayText{"lobby", "안녕하세요 from the controller"});
    const auto msg = observer.expect<chat::Message>();
    EXPECT_EQ(msg.from, "민수");
    EXPECT_EQ(msg.text, "안녕하세요 from the controller");
    observer.send(chat::Say{"lobby", "반가워요"});
    ASSERT_TRUE(h.wait([](const ClientView& v) { return has_line(v, "lobby", "반가워요"); }));

    h.command(MovePiece{"lobby", 2, 5});
    const auto board = next<chat::Board>(observer);
    ASSERT_EQ(board.pieces.size(), 1u);
    EXPECT_EQ(board.pieces[0].nick, "민수");
    EXPECT_EQ(board.pieces[0].x, 2);
    EXPECT_EQ(board.pieces[0].y, 5);

    observer.send(chat::Whisper{"민수", "psst"});
    ASSERT_TRUE(h.wait([](const ClientView& v) {
        return !v.whispers->empty() && v.whispers->back().text == "psst";
    }));
    // Round-trip time from PING/PONG, member counts from LIST_ROOMS, frames counted.
    v = h.wait([](const ClientView& v) {
        bool counted = false;
        for (const auto& r : v.room_list) counted |= r.room == "lobby" && r.members == 2;
        return v.rtt.has_value() && counted && v.frames_in > 5 && v.frames_out > 5;
    });
    ASSERT_TRUE(v);

    h.command(WhisperText{"nobody", "hello?"});
    ASSERT_TRUE(h.wait([](const ClientView& v) {
        return v.last_error.find("Nobody by that name") != std::string::npos;
    }));
    h.command(LeaveRoom{"보드게임"});
    ASSERT_TRUE(h.wait([](const ClientView& v) { return v.rooms.count("보드게임") == 0; }));
}

TEST(ClientController, RefusalsAndAMissingServerAreExplained) {
    chat::ServiceConfig config = testing_support::test_service_config();
    config.password = "sesame";
    ServerUnderTest server(kServerEngine, config);
    TestClient taken(server.port());
    taken.login("지영", "sesame");

    Harness h;
    h.command(connect_to(server.port(), "지영", "sesame"));
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Refused; });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("already in use"), std::string::npos) << v->problem;

    h.command(connect_to(server.port(), "민수", "wrong"));
    v = h.wait([](const ClientView& v) {
        return v.link == Link::Refused && v.problem.find("password") != std::string::npos;
    });
    ASSERT_TRUE(v) << "no bad-password message";

    // A port where nobody listens: a clear message, and no endless retry from the panel.
    std::uint16_t dead_port;
    {
        ServerUnderTest gone(kServerEngine);
        dead_port = gone.port();
    }
    h.command(connect_to(dead_port, "민수"));
    v = h.wait([](const ClientView& v) { return v.link == Link::Idle && !v.problem.empty(); });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("No chat server is listening"), std::string::npos) << v->problem;
}

TEST(ClientController, AFullServerIsExplained) {
    chat::ServiceConfig config = testing_support::test_service_config();
    config.max_sessions = 1;
    ServerUnderTest server(kServerEngine, config);
    TestClient first(server.port());
    first.login("first");
    Harness h;
    h.command(connect_to(server.port(), "second"));
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Refused; });
    ASSERT_TRUE(v);
    EXPECT_NE(v->problem.find("full"), std::string::npos) << v->problem;
}

TEST(ClientController, ReconnectsWithBackoffAndRejoinsAfterTheServerComesBack) {
    auto server = std::make_unique<ServerUnderTest>(kServerEngine);
    const std::uint16_t port = server->port();
    Harness h;
    h.command(connect_to(port, "민수"));
    ASSERT_TRUE(h.wait(
        [](const ClientView& v) { return v.link == Link::Ready && v.rooms.count("보드게임"); }));
    h.command(SayText{"lobby", "before"});
    ASSERT_TRUE(h.wait([](const ClientView& v) { return has_line(v, "lobby", "before"); }));

    server.reset();  // the server goes away
    auto v = h.wait([](const ClientView& v) { return v.link == Link::Retrying; });
    ASSERT_TRUE(v) << "did not notice the server going away";
    EXPECT_TRUE(has_line(*v, "lobby", "connection to the server lost"));
    ASSERT_TRUE(h.wait([](const ClientView& v) { return v.attempt >= 2; }))
        << "no further attempts while the server is down";

    auto options = testing_support::test_server_options();
    options.port = port;
    server = std::make_unique<ServerUnderTest>(kServerEngine,
                                               testing_support::test_service_config(), options);
    v = h.wait([](const ClientView& v) {
        return v.link == Link::Ready && v.rooms.count("lobby") && v.rooms.count("보드게임") &&
               !v.rooms.at("lobby")->members.empty();
    });
    ASSERT_TRUE(v) << "did not come back";
    EXPECT_EQ(v->attempt, 0);
    // A new server has a new history (epoch) and counts seq from 1 again: said in the room,
    // not silently accepted ("started over" after a RESUME, "restarted" after a JOIN).
    bool marked = false;
    for (const auto& l : v->rooms.at("lobby")->lines)
        marked |= l.kind == chat::ChatLine::Kind::Gap &&
                  (l.text.find("started over") != std::string::npos ||
                   l.text.find("restarted") != std::string::npos);
    EXPECT_TRUE(marked);

    TestClient observer(port);
    observer.login("observer");
    observer.join("보드게임");
    h.command(SayText{"보드게임", "after"});
    EXPECT_EQ(observer.expect<chat::Message>().text, "after");
}

}  // namespace
