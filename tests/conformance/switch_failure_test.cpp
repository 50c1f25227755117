// A live switch whose new engine cannot start, and whose old engine then cannot start again
// either: the process is out of descriptors (every engine needs one to wait on or to be woken
// through). The server must say so and be left in its documented state: no engine running,
// every connection closed, the listener kept; and a later switch, once descriptors are
// available again, serves new clients.
#ifndef _WIN32
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <utility>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

// Lowers the soft descriptor limit for as long as it lives; puts it back when it goes.
// Descriptors already open stay usable; a new one must take a number below the limit.
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

TEST(SwitchFailure, ASwitchWhoseRollbackAlsoFailsLeavesNoEngineAndClosesEveryConnection) {
    ServerUnderTest s("select");
    TestClient a(s.port()), b(s.port());
    a.login("ada");
    b.login("bob");
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return s.server.connection_count() == 2; }));

    std::string error;
    {
        const auto no_more = OutOfDescriptors::none();
        EXPECT_FALSE(s.server.switch_engine("epoll", error));
    }
    EXPECT_NE(error.find("epoll failed to start"), std::string::npos) << error;
    EXPECT_NE(error.find("restarting select failed too"), std::string::npos) << error;
    EXPECT_NE(error.find("no engine runs"), std::string::npos) << error;
    EXPECT_EQ(s.server.engine_name(), "");
    EXPECT_EQ(s.server.connection_count(), 0u);
    EXPECT_TRUE(a.wait_closed());
    EXPECT_TRUE(b.wait_closed());

    // Descriptors are back: a switch starts an engine afresh, and the listener, kept all
    // along, serves the next client.
    error.clear();
    ASSERT_TRUE(s.server.switch_engine("epoll", error)) << error;
    EXPECT_EQ(s.server.engine_name(), "epoll");
    TestClient c(s.port());
    EXPECT_EQ(c.login("cid").nick, "cid");
}

TEST(SwitchFailure, ASwitchWhoseNewEngineFailsGivesEveryConnectionBackToTheOldOne) {
    ServerUnderTest s("poll");
    TestClient a(s.port());
    a.login("ada");
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return s.server.connection_count() == 1; }));

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
