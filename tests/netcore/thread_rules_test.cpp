// The thread rules of connection.hpp, asserted in debug builds: an engine-side call on a
// connection from a thread its engine does not run it on aborts, on every engine; the same
// call on a detached connection (a test standing in for an engine) is allowed; the handler's
// context is typed.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "netcore/checks.hpp"
#include "netcore/client.hpp"
#include "netcore/engine_registry.hpp"
#include "netcore/socket_ops.hpp"

using namespace std::chrono_literals;

namespace {

// Counts opens; keeps nothing else.
class OpenCounter : public netcore::ConnectionHandler {
  public:
    void on_open(const netcore::ConnectionPtr&) override {
        std::lock_guard lock(mutex_);
        ++opened_;
        cv_.notify_all();
    }
    std::size_t on_data(netcore::Connection&, std::span<const std::byte> data) override {
        return data.size();
    }
    void on_close(netcore::Connection&, netcore::CloseReason) override {}
    bool wait_open() {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 10s, [this] { return opened_ > 0; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int opened_ = 0;
};

// A connection served by `engine` (opened by it, so attached to it), whose peer is a socket
// this process accepted; then `call` on it from this thread, which the engine never runs it on.
template <class Call>
void engine_side_call_from_a_foreign_thread(const std::string& engine, Call call) {
    netcore::init_sockets();
    const netcore::socket_t listener = netcore::listen_tcp("127.0.0.1", 0);
    OpenCounter handler;
    netcore::Client client(handler);
    client.start(engine);
    std::string error;
    auto conn = client.connect("127.0.0.1", netcore::local_port(listener), error);
    if (!conn || !handler.wait_open()) {
        std::fprintf(stderr, "setup failed: %s\n", error.c_str());
        std::exit(3);  // not the abort the test expects
    }
    call(*conn);
    std::fprintf(stderr, "the call returned\n");
    std::exit(0);
}

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

class ThreadRules : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        if (!netcore::debug_checks_enabled())
            GTEST_SKIP() << "netcore's thread checks are compiled into debug builds (the asan "
                            "and tsan presets) or with -DNETCORE_CHECKS=ON";
        GTEST_FLAG_SET(death_test_style, "threadsafe");
    }
};

TEST_P(ThreadRules, BeginWriteFromAForeignThreadAborts) {
    EXPECT_DEATH(engine_side_call_from_a_foreign_thread(
                     GetParam(), [](netcore::Connection& c) { (void)c.begin_write(); }),
                 "engine-side call on a connection from a thread its engine does not run it on");
}

TEST_P(ThreadRules, DeliverFromAForeignThreadAborts) {
    EXPECT_DEATH(engine_side_call_from_a_foreign_thread(GetParam(),
                                                        [](netcore::Connection& c) {
                                                            OpenCounter h;
                                                            const std::byte b{0};
                                                            c.deliver({&b, 1}, h);
                                                        }),
                 "engine-side call on a connection from a thread its engine does not run it on");
}

TEST_P(ThreadRules, FinalizeFromAForeignThreadAborts) {
    EXPECT_DEATH(engine_side_call_from_a_foreign_thread(
                     GetParam(),
                     [](netcore::Connection& c) { c.finalize(netcore::CloseReason::Requested); }),
                 "engine-side call on a connection from a thread its engine does not run it on");
}

INSTANTIATE_TEST_SUITE_P(EveryEngine, ThreadRules, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

// Detached (no engine), whoever holds the connection makes the engine-side calls: the chat
// service's tests and fuzz harness stand in for an engine this way.
TEST(ThreadRulesDetached, TheHolderOfADetachedConnectionMakesEngineSideCalls) {
    auto conn = std::make_shared<netcore::Connection>(1, netcore::kInvalidSocket, "test", 1 << 20);
    const std::byte hello[] = {std::byte{'h'}, std::byte{'i'}};
    ASSERT_TRUE(conn->send(hello));
    const auto out = conn->begin_write();
    EXPECT_EQ(out.size(), 2u);
    EXPECT_FALSE(conn->end_write(out.size()));
    EXPECT_EQ(conn->finalize(netcore::CloseReason::PeerClosed), netcore::CloseReason::PeerClosed);
}

struct Session {
    int value = 7;
};

TEST(ConnectionContext, ReturnsWhatTheHandlerStored) {
    netcore::Connection conn(1, netcore::kInvalidSocket, "test", 1 << 20);
    EXPECT_EQ(conn.context<Session>(), nullptr);
    Session s;
    conn.set_context(&s);
    ASSERT_EQ(conn.context<Session>(), &s);
    EXPECT_EQ(conn.context<Session>()->value, 7);
    conn.set_context<Session>(nullptr);
    EXPECT_EQ(conn.context<Session>(), nullptr);
}

#ifndef NDEBUG
TEST(ConnectionContext, AskingForAnotherTypeAbortsInDebugBuilds) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    netcore::Connection conn(1, netcore::kInvalidSocket, "test", 1 << 20);
    Session s;
    conn.set_context(&s);
    EXPECT_DEATH((void)conn.context<int>(), "context_type_");
}
#endif

}  // namespace
