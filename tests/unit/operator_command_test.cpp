// Operator commands as values: parsed once from text, checked against the protocol's rules,
// carried out by ServerApp on a live server, answered with a result value.
#include <gtest/gtest.h>

#include "netcore/engine_registry.hpp"
#include "operator_command.hpp"
#include "server_app.hpp"
#include "test_client.hpp"

using testing_support::TestClient;

namespace {

template <class T>
T parsed_as(std::string_view line) {
    const ops::Parsed p = ops::parse(line);
    EXPECT_TRUE(p.command.has_value()) << line << ": " << p.error;
    if (!p.command || !std::holds_alternative<T>(*p.command))
        throw std::runtime_error("not the expected command: " + std::string(line));
    return std::get<T>(*p.command);
}

std::string parse_error(std::string_view line) {
    const ops::Parsed p = ops::parse(line);
    EXPECT_FALSE(p.command.has_value()) << line;
    return p.error;
}

TEST(OperatorCommandParse, EachCommandBecomesItsValue) {
    EXPECT_EQ(parsed_as<ops::SwitchEngine>("/engine poll").engine, "poll");
    EXPECT_EQ(parsed_as<ops::SwitchEngine>("/engine").engine, "");
    EXPECT_EQ(parsed_as<ops::Kick>("/kick 민수").nick, "민수");
    const auto kick = parsed_as<ops::Kick>("  /kick bob  flooding the lobby \r");
    EXPECT_EQ(kick.nick, "bob");
    EXPECT_EQ(kick.reason, "flooding the lobby");
    EXPECT_EQ(parsed_as<ops::Notice>("/notice 점검 예정  at 5").text, "점검 예정  at 5");
    parsed_as<ops::Stats>("/stats");
    parsed_as<ops::Quit>("/quit");
    parsed_as<ops::Rehash>("/rehash");
    parsed_as<ops::Help>("/help");
    EXPECT_TRUE(ops::parse("   \r").blank());
    EXPECT_TRUE(ops::parse("").blank());
}

TEST(OperatorCommandParse, BadLinesGetAClearError) {
    EXPECT_NE(parse_error("/bogus").find("unknown command '/bogus'"), std::string::npos);
    EXPECT_NE(parse_error("stats").find("start with '/'"), std::string::npos);
    EXPECT_EQ(parse_error("/kick"), "usage: /kick NICK [REASON]");
    EXPECT_EQ(parse_error("/notice"), "usage: /notice TEXT");
    EXPECT_EQ(parse_error("/engine epoll poll"), "usage: /engine NAME");
    EXPECT_EQ(parse_error("/stats now"), "/stats takes no argument");
    EXPECT_NE(parse_error("/kick " + std::string(30, 'n')).find("is not a nick"),
              std::string::npos);
    // A notice follows the protocol's text rules: never cut, never relayed broken.
    EXPECT_EQ(parse_error("/notice " + std::string(1025, 'x')),
              "notice not sent: the text is 1025 bytes; the limit is 1024");
    EXPECT_NE(parse_error("/notice bell\x07").find("control character"), std::string::npos);
    EXPECT_NE(parse_error("/notice \xC3\x28").find("not valid UTF-8"), std::string::npos);
    EXPECT_NE(parse_error("/kick bob \x01").find("kick reason"), std::string::npos);
}

TEST(OperatorCommandResult, TextMarksOnlyFailures) {
    EXPECT_EQ(ops::to_text(ops::CommandResult::success("notice sent")), "notice sent");
    EXPECT_EQ(ops::to_text(ops::CommandResult::failure("no user bob")), "error: no user bob");
}

class ServerAppTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ServerCommandLine cl;
        cl.port = 0;
        cl.engine = std::string(netcore::default_engine_name());
        app_ = std::make_unique<ServerApp>(cl);
        app_->start();
    }
    std::uint16_t port() { return app_->server().port(); }
    std::unique_ptr<ServerApp> app_;
};

TEST_F(ServerAppTest, CarriesOutCommandsAndAnswersWithValues) {
    TestClient a(port()), b(port());
    a.login("alice");
    b.login("bob");

    auto r = app_->execute(ops::Notice{"공지"});
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(a.expect<chat::Notice>().text, "공지");
    EXPECT_EQ(b.expect<chat::Notice>().text, "공지");

    // Built directly (as the window does), a bad notice is still checked.
    r = app_->execute(ops::Notice{std::string(70000, 'x')});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("70000 bytes"), std::string::npos) << r.message;

    r = app_->execute(ops::Stats{});
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.stats.has_value());
    EXPECT_EQ(r.stats->service.sessions, 2u);
    EXPECT_EQ(r.stats->engine.engine, netcore::default_engine_name());
    EXPECT_NE(r.message.find("sessions=2"), std::string::npos);

    r = app_->execute(ops::SwitchEngine{"no-such-engine"});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("unknown engine"), std::string::npos) << r.message;

    r = app_->execute(ops::Kick{"BOB", "too loud"});
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(b.expect<chat::Bye>().reason, "kicked: too loud");  // the notice came first
    EXPECT_TRUE(b.wait_closed());
    r = app_->execute(ops::Kick{"bob", ""});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.message, "no user bob");

    EXPECT_FALSE(app_->quit_requested());
    EXPECT_TRUE(app_->execute(ops::Quit{}).ok);
    EXPECT_TRUE(app_->quit_requested());
}

}  // namespace
