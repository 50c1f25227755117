// The chat service's rules, driven without sockets: input goes through Connection::deliver
// (the same path every engine uses) and output is read back from the connection's queue.
#include <gtest/gtest.h>

#include <thread>

#include "service_peer.hpp"

using namespace chat;
using namespace chat_test;
using namespace std::chrono_literals;

namespace {

TEST(Service, AFrameSplitAtEveryByteBoundaryParses) {
    Bytes stream = encode(Hello{1, "splitter", ""});
    for (const auto& part : {encode(Join{"방"}), encode(Say{"방", "안녕하세요"}),
                             encode(Echo{"xyz"}), encode(Ping{77})})
        stream.insert(stream.end(), part.begin(), part.end());
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        ChatService service(config());
        Peer p(service, 1);
        p.feed(std::span(stream).first(cut));
        p.feed(std::span(stream).subspan(cut));
        const auto msgs = p.drain();
        ASSERT_EQ(msgs.size(), 5u) << "cut at " << cut;
        EXPECT_TRUE(std::holds_alternative<Welcome>(msgs[0]));
        EXPECT_TRUE(std::holds_alternative<Joined>(msgs[1]));
        EXPECT_EQ(std::get<Message>(msgs[2]).text, "안녕하세요");
        EXPECT_EQ(std::get<Echo>(msgs[3]).body, "xyz");
        EXPECT_EQ(std::get<Pong>(msgs[4]).token, 77u);
    }
}

TEST(Service, ByteAtATimeParses) {
    ChatService service(config());
    Peer p(service, 1);
    const Bytes stream = encode(Hello{1, "slow", ""});
    for (std::byte b : stream) p.feed(std::span(&b, 1));
    EXPECT_EQ(p.only<Welcome>().nick, "slow");
}

TEST(Service, BadFrameSizeIsAnsweredThenClosed) {
    ChatService service(config());
    Peer p(service, 1);
    p.feed(frame(3, 0x0040));
    const auto e = p.only<Error>();
    EXPECT_EQ(e.code, ErrorCode::BadFrame);
    EXPECT_EQ(e.in_reply_to, 0x0040);
    EXPECT_TRUE(p.closing());
}

TEST(Service, FrameAboveMaxFrameIsBadFrameAsSoonAsTheHeaderArrives) {
    auto c = config();
    c.max_frame = 1000;
    ChatService service(c);
    Peer p(service, 1);
    const Bytes big = frame(1001, 0x0042);
    p.feed(std::span(big).first(4));
    EXPECT_EQ(p.error_code(), ErrorCode::BadFrame);
    EXPECT_TRUE(p.closing());
}

TEST(Service, BadBodiesKeepTheConnectionOpen) {
    ChatService service(config());
    Peer p(service, 1);
    p.feed(frame(4, 0x0100));
    EXPECT_EQ(p.error_code(), ErrorCode::UnknownType);
    p.feed(frame(4, 0x0002));  // WELCOME is the server's
    EXPECT_EQ(p.error_code(), ErrorCode::UnknownType);
    p.feed(frame(6, 0x0040, 2));  // PING with 2 of 8 token bytes
    EXPECT_EQ(p.error_code(), ErrorCode::Malformed);
    EXPECT_FALSE(p.closing());
    p.send(Ping{1});
    EXPECT_EQ(p.only<Pong>().token, 1u);
}

TEST(Service, OnlyHelloPingEchoAndInfoBeforeHello) {
    ChatService service(config());
    Peer p(service, 1);
    for (auto type : {MsgType::Join, MsgType::Say, MsgType::Leave, MsgType::ListRooms,
                      MsgType::Whisper, MsgType::Move, MsgType::Bye}) {
        p.feed(frame(4, static_cast<std::uint16_t>(type)));
        const auto e = p.only<Error>();
        EXPECT_EQ(e.code, ErrorCode::NotLoggedIn) << type_name(static_cast<std::uint16_t>(type));
        EXPECT_EQ(e.in_reply_to, static_cast<std::uint16_t>(type));
    }
    p.send(Ping{5});
    EXPECT_EQ(p.only<Pong>().token, 5u);
    p.send(Echo{"e"});
    EXPECT_EQ(p.only<Echo>().body, "e");
    p.send(InfoReq{});
    EXPECT_EQ(p.only<Info>().sessions, 1u);
}

TEST(Service, HelloRules) {
    auto c = config();
    c.password = "sesame";
    ChatService service(c);
    Peer p(service, 1), q(service, 2);
    p.send(Hello{2, "ada", "sesame"});
    EXPECT_EQ(p.error_code(), ErrorCode::VersionUnsupported);
    p.send(Hello{1, "has space", "sesame"});
    EXPECT_EQ(p.error_code(), ErrorCode::NickInvalid);
    p.send(Hello{1, std::string(25, 'n'), "sesame"});
    EXPECT_EQ(p.error_code(), ErrorCode::NickInvalid);
    p.send(Hello{1, "", "sesame"});
    EXPECT_EQ(p.error_code(), ErrorCode::NickInvalid);
    p.send(Hello{1, "ada", "wrong"});
    EXPECT_EQ(p.error_code(), ErrorCode::BadPassword);
    EXPECT_EQ(p.login("Ada", "sesame").nick, "Ada");
    p.send(Hello{1, "other", "sesame"});
    EXPECT_EQ(p.error_code(), ErrorCode::AlreadyLoggedIn);
    q.send(Hello{1, "aDA", "sesame"});
    EXPECT_EQ(q.error_code(), ErrorCode::NickTaken);
    EXPECT_EQ(q.login("영희", "sesame").nick, "영희");
}

TEST(Service, ServerFullRefusesAndCloses) {
    auto c = config();
    c.max_sessions = 1;
    ChatService service(c);
    Peer p(service, 1), q(service, 2);
    EXPECT_EQ(q.error_code(), ErrorCode::ServerFull);
    EXPECT_TRUE(q.closing());
    EXPECT_FALSE(p.closing());
}

TEST(Service, RoomsJoinedEventsMessagesAndLeave) {
    ChatService service(config());
    Peer a(service, 1), b(service, 2);
    a.login("a");
    b.login("b");
    a.send(Join{"lobby"});
    const auto ja = a.only<Joined>();
    EXPECT_EQ(ja.members, std::vector<std::string>{"a"});
    EXPECT_EQ(ja.next_seq, 1u);
    b.send(Join{"lobby"});
    EXPECT_EQ(b.only<Joined>().members, (std::vector<std::string>{"a", "b"}));
    const auto ev = a.only<RoomEvent>();
    EXPECT_EQ(ev.kind, RoomEventKind::Joined);
    EXPECT_EQ(ev.nick, "b");
    b.send(Join{"lobby"});  // again: JOINED again, no error, no event
    EXPECT_EQ(b.only<Joined>().room, "lobby");
    EXPECT_TRUE(a.drain().empty());

    a.send(Say{"lobby", "one"});
    a.send(Say{"lobby", "two"});
    for (Peer* p : {&a, &b}) {
        const auto msgs = p->drain();
        ASSERT_EQ(msgs.size(), 2u);
        EXPECT_EQ(std::get<Message>(msgs[0]).seq, 1u);
        EXPECT_EQ(std::get<Message>(msgs[1]).seq, 2u);
        EXPECT_EQ(std::get<Message>(msgs[1]).from, "a");
        EXPECT_GT(std::get<Message>(msgs[1]).server_time_us, 0u);
    }
    a.send(ListRooms{});
    const auto rooms = a.only<Rooms>();
    ASSERT_EQ(rooms.rooms.size(), 1u);
    EXPECT_EQ(rooms.rooms[0].members, 2u);

    b.send(Leave{"lobby"});
    EXPECT_EQ(b.only<Left>().room, "lobby");
    EXPECT_EQ(a.only<RoomEvent>().kind, RoomEventKind::Left);
    b.send(Say{"lobby", "ghost"});
    EXPECT_EQ(b.error_code(), ErrorCode::NotInRoom);
    b.send(Leave{"lobby"});
    EXPECT_EQ(b.error_code(), ErrorCode::NotInRoom);
    b.send(Move{"lobby", 1, 1});
    EXPECT_EQ(b.error_code(), ErrorCode::NotInRoom);
    b.send(Join{"has space"});
    EXPECT_EQ(b.error_code(), ErrorCode::RoomInvalid);
    b.send(Join{std::string(33, 'r')});
    EXPECT_EQ(b.error_code(), ErrorCode::RoomInvalid);
    b.send(Say{"lobby", std::string(1025, 'x')});
    EXPECT_EQ(b.error_code(), ErrorCode::TooLong);
}

TEST(Service, SeqRestartsOnlyForANewRoomAndJoinAnnouncesIt) {
    ChatService service(config());
    Peer a(service, 1), b(service, 2);
    a.login("a");
    b.login("b");
    a.send(Join{"r"});
    a.drain();
    for (int i = 0; i < 5; ++i) a.send(Say{"r", "x"});
    a.drain();
    b.send(Join{"r"});
    EXPECT_EQ(b.only<Joined>().next_seq, 6u);
}

TEST(Service, WhispersGoToTargetAndSender) {
    ChatService service(config());
    Peer a(service, 1), b(service, 2);
    a.login("a");
    b.login("Bee");
    a.send(Whisper{"bee", "psst"});
    const auto to_b = b.only<Whispered>();
    EXPECT_EQ(to_b.from, "a");
    EXPECT_EQ(to_b.to, "Bee");
    EXPECT_EQ(a.only<Whispered>().text, "psst");
    a.send(Whisper{"nobody", "hello?"});
    EXPECT_EQ(a.error_code(), ErrorCode::NoSuchUser);
}

TEST(Service, BoardShowsPiecesAndDropsLeavers) {
    ChatService service(config());
    Peer a(service, 1), b(service, 2);
    a.login("a");
    b.login("b");
    a.send(Join{"g"});
    b.send(Join{"g"});
    a.drain();
    b.drain();
    a.send(Move{"g", 1, 2});
    for (Peer* p : {&a, &b}) {
        const auto board = p->only<Board>();
        ASSERT_EQ(board.pieces.size(), 1u);
        EXPECT_EQ(board.pieces[0].nick, "a");
        EXPECT_EQ(board.pieces[0].x, 1);
    }
    b.send(Move{"g", 7, 7});
    EXPECT_EQ(a.only<Board>().pieces.size(), 2u);
    b.drain();
    b.send(Leave{"g"});
    const auto after = a.drain();  // ROOM_EVENT left, then the board without b
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(std::get<Board>(after[1]).pieces.size(), 1u);
    a.send(Move{"g", 8, 0});
    EXPECT_EQ(a.error_code(), ErrorCode::Malformed);
}

TEST(Service, RateLimitDropsTheExcess) {
    auto c = config();
    c.rate_limit = 5;
    ChatService service(c);
    Peer a(service, 1);
    a.login("a");
    a.send(Join{"r"});
    a.drain();
    int limited = 0, delivered = 0;
    for (int i = 0; i < 20; ++i) a.send(Say{"r", "spam"});
    for (const auto& m : a.drain()) {
        if (auto* e = std::get_if<Error>(&m); e && e->code == ErrorCode::RateLimited) ++limited;
        if (std::holds_alternative<Message>(m)) ++delivered;
    }
    EXPECT_EQ(delivered, 5);
    EXPECT_EQ(limited, 15);
}

TEST(Service, HandshakeAndIdleTimeouts) {
    auto c = config();
    c.handshake_timeout = 100ms;
    c.idle_timeout = 300ms;
    ChatService service(c);
    Peer silent(service, 1), idle(service, 2);
    idle.login("idle");
    std::this_thread::sleep_for(200ms);
    const auto e = silent.only<Error>();
    EXPECT_EQ(e.code, ErrorCode::Timeout);
    EXPECT_TRUE(silent.closing());
    EXPECT_FALSE(idle.closing());
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(idle.error_code(), ErrorCode::Timeout);
    EXPECT_TRUE(idle.closing());
}

TEST(Service, ByeClosesAfterWhatWasQueued) {
    ChatService service(config());
    Peer a(service, 1);
    a.login("a");
    a.send(Ping{1});
    a.send(Bye{"done"});
    EXPECT_EQ(a.only<Pong>().token, 1u);
    EXPECT_TRUE(a.closing());
}

TEST(Service, ShutdownSaysByeToEveryoneAndToLateComers) {
    ChatService service(config());
    Peer a(service, 1);
    a.login("a");
    service.shutdown("going down");
    EXPECT_EQ(a.only<Bye>().reason, "going down");
    EXPECT_TRUE(a.closing());
    Peer late(service, 2);  // connects during the shutdown grace
    EXPECT_EQ(late.only<Bye>().reason, "server shutting down");
    EXPECT_TRUE(late.closing());
}

TEST(Service, OperatorKickAndNotice) {
    ChatService service(config());
    Peer a(service, 1), b(service, 2);
    a.login("a");
    b.login("b");
    a.send(Join{"r"});
    b.send(Join{"r"});
    a.drain();
    b.drain();
    service.notice("maintenance at 5");
    EXPECT_EQ(a.only<Notice>().text, "maintenance at 5");
    EXPECT_EQ(b.only<Notice>().text, "maintenance at 5");
    EXPECT_TRUE(service.kick("B", "spam"));
    EXPECT_EQ(b.only<Bye>().reason, "kicked: spam");
    EXPECT_TRUE(b.closing());
    EXPECT_EQ(a.only<RoomEvent>().kind, RoomEventKind::Left);
    EXPECT_FALSE(service.kick("nobody", ""));
}

}  // namespace
