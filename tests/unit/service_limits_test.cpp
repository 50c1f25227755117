// The operator's limits, driven without sockets: connections per address, sessions still in
// their handshake, and wrong passwords slowed down per address.
#include <gtest/gtest.h>

#include <thread>

#include "chat/text_rules.hpp"
#include "service_peer.hpp"

using namespace chat;
using namespace chat_test;
using namespace std::chrono_literals;

namespace {

std::string peer(const std::string& host, int port) {
    return host + ":" + std::to_string(port);
}

// Waits for the peer's next frames (the timer thread sends held answers).
std::vector<AnyMessage> drain_within(Peer& p, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto msgs = p.drain();
        if (!msgs.empty() || std::chrono::steady_clock::now() > deadline) return msgs;
        std::this_thread::sleep_for(5ms);
    }
}

TEST(ServiceLimits, MaxPerAddressRefusesTheNextAndNamesTheCause) {
    auto c = config();
    c.max_per_address = 2;
    ChatService service(c);
    Peer a(service, 1, peer("10.0.0.1", 1000)), b(service, 2, peer("10.0.0.1", 1001));
    Peer third(service, 3, peer("10.0.0.1", 1002));
    const auto e = third.only<Error>();
    EXPECT_EQ(e.code, ErrorCode::ServerFull);
    EXPECT_NE(e.detail.find("10.0.0.1"), std::string::npos) << e.detail;
    EXPECT_NE(e.detail.find("--max-per-address"), std::string::npos) << e.detail;
    EXPECT_TRUE(third.closing());
    EXPECT_EQ(service.totals().refused.per_address, 1u);

    // Another address is not affected; IPv6 and IPv4-mapped peers key on their address.
    Peer other(service, 4, peer("10.0.0.2", 1000));
    EXPECT_EQ(other.login("other").nick, "other");
    Peer v6a(service, 5, "[2001:db8::1]:1"), v6b(service, 6, "[2001:db8::1]:2");
    Peer v6c(service, 7, "[2001:db8::1]:3");
    EXPECT_EQ(v6c.error_code(), ErrorCode::ServerFull);
    Peer mapped(service, 8, "[::ffff:10.0.0.1]:5");
    EXPECT_EQ(mapped.error_code(), ErrorCode::ServerFull);

    // A slot comes free when a connection of the address closes.
    a.close();
    Peer again(service, 9, peer("10.0.0.1", 1003));
    EXPECT_EQ(again.login("again").nick, "again");
    EXPECT_FALSE(b.closing());
}

TEST(ServiceLimits, LoopbackIsExemptUnlessLimitLoopback) {
    auto c = config();
    c.max_per_address = 1;
    {
        ChatService service(c);
        Peer a(service, 1, peer("127.0.0.1", 1)), b(service, 2, peer("127.0.0.1", 2));
        Peer v6(service, 3, "[::1]:3"), v6b(service, 4, "[::1]:4");
        EXPECT_EQ(b.login("b").nick, "b");
        EXPECT_EQ(v6b.login("v6b").nick, "v6b");
    }
    c.limit_loopback = true;
    ChatService service(c);
    Peer a(service, 1, peer("127.0.0.1", 1)), b(service, 2, peer("127.0.0.1", 2));
    EXPECT_EQ(b.error_code(), ErrorCode::ServerFull);
}

TEST(ServiceLimits, ZeroMaxPerAddressIsNoLimit) {
    auto c = config();
    c.max_per_address = 0;
    ChatService service(c);
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < 100; ++i)
        peers.push_back(std::make_unique<Peer>(service, i + 1, peer("10.9.9.9", i)));
    EXPECT_EQ(peers.back()->login("last").nick, "last");
}

TEST(ServiceLimits, MaxHandshakesCountsOnlySessionsNotPastHello) {
    auto c = config();
    c.max_handshakes = 2;
    ChatService service(c);
    Peer a(service, 1), b(service, 2);
    Peer c3(service, 3);
    const auto e = c3.only<Error>();
    EXPECT_EQ(e.code, ErrorCode::ServerFull);
    EXPECT_NE(e.detail.find("--max-handshakes"), std::string::npos) << e.detail;
    EXPECT_EQ(service.totals().refused.handshakes, 1u);

    a.login("a");  // past HELLO: its slot is free
    Peer d(service, 4);
    EXPECT_TRUE(d.drain().empty());
    Peer e5(service, 5);
    EXPECT_EQ(e5.error_code(), ErrorCode::ServerFull);
    b.close();  // a handshake that ends frees its slot too
    Peer f(service, 6);
    EXPECT_EQ(f.login("f").nick, "f");
}

TEST(ServiceLimits, WrongPasswordsFromOneAddressAreSlowedDown) {
    auto c = config();
    c.password = "sesame";
    ChatService service(c);
    Peer p(service, 1, peer("10.1.1.1", 1)), q(service, 2, peer("10.1.1.1", 2));
    Peer elsewhere(service, 3, peer("10.2.2.2", 1));

    // The first wrong password is answered at once: a typo costs nothing.
    p.send(Hello{1, "ada", "sesam"});
    EXPECT_EQ(p.error_code(), ErrorCode::BadPassword);

    // The second is held back (250 ms), and meanwhile every HELLO from the address is refused,
    // even with the right password.
    const auto sent = std::chrono::steady_clock::now();
    p.send(Hello{1, "ada", "sesame!"});
    EXPECT_TRUE(p.drain().empty());
    q.send(Hello{1, "bob", "sesame"});
    const auto refused = q.only<Error>();
    EXPECT_EQ(refused.code, ErrorCode::RateLimited);
    EXPECT_NE(refused.detail.find("10.1.1.1"), std::string::npos) << refused.detail;
    EXPECT_NE(refused.detail.find("try again"), std::string::npos) << refused.detail;
    // Another address is not slowed down.
    EXPECT_EQ(elsewhere.login("carol", "sesame").nick, "carol");

    const auto held = drain_within(p, 3s);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(std::get<Error>(held[0]).code, ErrorCode::BadPassword);
    EXPECT_GE(std::chrono::steady_clock::now() - sent, 240ms);

    // The third waits twice as long.
    const auto third = std::chrono::steady_clock::now();
    p.send(Hello{1, "ada", ""});
    const auto later = drain_within(p, 3s);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(std::get<Error>(later[0]).code, ErrorCode::BadPassword);
    EXPECT_GE(std::chrono::steady_clock::now() - third, 490ms);
    EXPECT_EQ(service.totals().refused.bad_password, 3u);

    // Once the pause is over the right password gets in, and the address starts over.
    EXPECT_EQ(p.login("ada", "sesame").nick, "ada");
    q.send(Hello{1, "bob", "wrong"});
    EXPECT_EQ(q.error_code(), ErrorCode::BadPassword);  // at once again
}

TEST(ServiceLimits, AHeldAnswerToAClosedSessionIsDropped) {
    auto c = config();
    c.password = "sesame";
    ChatService service(c);
    {
        Peer p(service, 1, peer("10.1.1.1", 1));
        p.send(Hello{1, "ada", "x"});
        p.drain();
        p.send(Hello{1, "ada", "y"});  // held back
    }                                  // closed before the answer is due
    std::this_thread::sleep_for(400ms);
    Peer q(service, 2, peer("10.1.1.1", 2));
    EXPECT_EQ(q.login("ada", "sesame").nick, "ada");
}

TEST(ServiceText, NoticeFollowsTheProtocolsTextRules) {
    ChatService service(config());
    Peer a(service, 1);
    a.login("a");
    EXPECT_FALSE(service.notice(""));
    EXPECT_FALSE(service.notice(std::string(1025, 'n')));
    EXPECT_FALSE(service.notice("bell\x07"));
    EXPECT_FALSE(service.notice("\xC3\x28"));
    EXPECT_TRUE(a.drain().empty());
    EXPECT_TRUE(service.notice(std::string(1024, 'n')));
    EXPECT_EQ(a.only<Notice>().text.size(), 1024u);
    EXPECT_TRUE(service.notice("두 줄\n공지"));
    EXPECT_EQ(a.only<Notice>().text, "두 줄\n공지");

    EXPECT_NE(chat_text_problem(std::string(2000, 'x')).find("2000 bytes"), std::string::npos);
    EXPECT_NE(chat_text_problem("a\tb").find("control character"), std::string::npos);
    EXPECT_EQ(chat_text_problem("fine"), "");
}

}  // namespace
