// A live switch whose new engine cannot start, and whose old engine then cannot start again
// either: the process is out of descriptors (every engine that waits in the kernel needs one
// to wait on or to be woken through). The server must say so and be left in its documented
// state: no engine running, every connection closed, the listener kept; and a later switch,
// once descriptors are available again, serves new clients. An old engine that needs no
// descriptor of its own (nonblocking, blocking) takes everyone back instead.
#ifndef _WIN32
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

// Lowers the soft descriptor limit for as long as it lives; puts it back when it goes.
// Descriptors already open stay usable; a new one must take a number below the limit.
//
// The limit holds for the whole process, the sanitizers' runtimes included: UBSan checks an
// object's dynamic type the first time it meets a (static type, vtable) pair, and reads the
// vtable through a pipe first (sanitizer_common's IsAccessibleMemoryRange). With no descriptor
// left that read fails and UBSan reports "member access within address ... which does not
// point to an object of type ..." (invalid vptr) for a sound object. So whatever runs while
// descriptors are out must have been met once before: see rehearse().
class OutOfDescriptors {
  public:
    // `left` more descriptors can be made (the lowest free numbers), then none (EMFILE).
    static OutOfDescriptors leaving(int left) {
        const int lowest_free = ::dup(0);
        ::close(lowest_free);
        return OutOfDescriptors(static_cast<rlim_t>(lowest_free + left));
    }
    // None can be made at all, not even in a number freed meanwhile (a stopped engine's).
    static OutOfDescriptors none() { return OutOfDescriptors(0); }

    ~OutOfDescriptors() {
        if (armed_) ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
    OutOfDescriptors(OutOfDescriptors&& other) noexcept
        : saved_(other.saved_), armed_(std::exchange(other.armed_, false)) {}
    OutOfDescriptors(const OutOfDescriptors&) = delete;
    OutOfDescriptors& operator=(const OutOfDescriptors&) = delete;

  private:
    explicit OutOfDescriptors(rlim_t limit) {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        rlimit tight = saved_;
        tight.rlim_cur = limit;
        ::setrlimit(RLIMIT_NOFILE, &tight);
    }

    rlimit saved_{};
    bool armed_ = true;
};

// While descriptors last: the switch to `next` and back, with the clients connected, so every
// engine object the failing switch makes, hands connections to, stops and destroys has been
// met (and type-checked by UBSan); and the one thing only a failure meets, a start()'s
// std::runtime_error read through std::exception.
void rehearse(netcore::Server& server, const std::string& old, const std::string& next) {
    std::string error;
    ASSERT_TRUE(server.switch_engine(next, error)) << error;
    ASSERT_TRUE(server.switch_engine(old, error)) << error;
    try {
        throw std::runtime_error("rehearsed");
    } catch (const std::exception& e) {
        EXPECT_STREQ(e.what(), "rehearsed");
    }
}

// Engines that wait in no descriptor of their own: they start again with none left.
bool starts_without_descriptors(const std::string& engine) {
    return engine == "nonblocking" || engine == "blocking";
}

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

// The old engine is the parameter; the new one is epoll (poll when the old one is epoll),
// which cannot start without a descriptor.
class SwitchFailure : public ::testing::TestWithParam<std::string> {};

TEST_P(SwitchFailure, NoDescriptorLeftRollsBackOrLeavesNoEngineAndClosesEveryConnection) {
    const std::string old = GetParam();
    const std::string next = old == "epoll" ? "poll" : "epoll";
    ServerUnderTest s(old);
    TestClient a(s.port()), b(s.port());
    a.login("ada");
    b.login("bob");
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return s.server.connection_count() == 2; }));
    rehearse(s.server, old, next);

    std::string error;
    {
        const auto no_more = OutOfDescriptors::none();
        EXPECT_FALSE(s.server.switch_engine(next, error));
    }
    EXPECT_NE(error.find(next + " failed to start"), std::string::npos) << error;
    if (starts_without_descriptors(old)) {
        // The old engine took everyone back: both are served as before.
        EXPECT_EQ(error.find("failed too"), std::string::npos) << error;
        EXPECT_EQ(s.server.engine_name(), old);
        EXPECT_EQ(s.server.connection_count(), 2u);
        a.send(chat::Ping{7});
        EXPECT_EQ(a.expect<chat::Pong>().token, 7u);
        b.send(chat::Ping{8});
        EXPECT_EQ(b.expect<chat::Pong>().token, 8u);
        return;
    }
    EXPECT_NE(error.find("restarting " + old + " failed too"), std::string::npos) << error;
    EXPECT_NE(error.find("no engine runs"), std::string::npos) << error;
    EXPECT_EQ(s.server.engine_name(), "");
    EXPECT_EQ(s.server.connection_count(), 0u);
    EXPECT_TRUE(a.wait_closed());
    EXPECT_TRUE(b.wait_closed());

    // Descriptors are back: a switch starts an engine afresh, and the listener, kept all
    // along, serves the next client.
    error.clear();
    ASSERT_TRUE(s.server.switch_engine(next, error)) << error;
    EXPECT_EQ(s.server.engine_name(), next);
    TestClient c(s.port());
    EXPECT_EQ(c.login("cid").nick, "cid");
}

INSTANTIATE_TEST_SUITE_P(AllEngines, SwitchFailure, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

TEST(SwitchFailure, ASwitchWhoseNewEngineFailsGivesEveryConnectionBackToTheOldOne) {
    ServerUnderTest s("poll");
    TestClient a(s.port());
    a.login("ada");
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return s.server.connection_count() == 1; }));
    rehearse(s.server, "poll", "epoll");

    // One descriptor left: epoll needs two (its epoll instance and its eventfd), poll one.
    std::string error;
    {
        const auto one_left = OutOfDescriptors::leaving(1);
        EXPECT_FALSE(s.server.switch_engine("epoll", error));
    }
    EXPECT_NE(error.find("epoll failed to start"), std::string::npos) << error;
    EXPECT_EQ(error.find("failed too"), std::string::npos) << error;
    EXPECT_EQ(s.server.engine_name(), "poll");
    EXPECT_EQ(s.server.connection_count(), 1u);
    a.send(chat::Ping{7});
    EXPECT_EQ(a.expect<chat::Pong>().token, 7u);
}

}  // namespace
#endif
