// A live switch whose new engine cannot start, and whose old engine then cannot start again
// either: the process is out of descriptors (every engine that waits in the kernel needs one
// to wait on or to be woken through). The server must say so and be left in its documented
// state: no engine running, every connection closed, the listener kept; and a later switch,
// once descriptors are available again, serves new clients. An old engine that needs no
// descriptor of its own (nonblocking, blocking) takes everyone back instead. And the same
// when the process cannot start a thread (every engine needs one): whatever the new engine
// had begun (attached connections, started threads, closed connections) must not outlive it.
#ifndef _WIN32
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
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

// Lowers the soft limit on this user's processes to 0 for as long as it lives: no thread can
// be started (EAGAIN). Only for a child process (run_in_child): root is exempt from the
// limit, so a child running as root first gives up root for good (become_unprivileged).
class OutOfThreads {
  public:
    OutOfThreads() {
        ::getrlimit(RLIMIT_NPROC, &saved_);
        rlimit none = saved_;
        none.rlim_cur = 0;
        ::setrlimit(RLIMIT_NPROC, &none);
    }
    ~OutOfThreads() { ::setrlimit(RLIMIT_NPROC, &saved_); }
    OutOfThreads(const OutOfThreads&) = delete;
    OutOfThreads& operator=(const OutOfThreads&) = delete;

  private:
    rlimit saved_{};
};

// The child runs as nobody, to whom the limit on processes applies.
bool become_unprivileged() {
    if (::geteuid() != 0) return true;
    constexpr uid_t kNobody = 65534;
    return ::setgroups(0, nullptr) == 0 && ::setgid(kNobody) == 0 && ::setuid(kNobody) == 0;
}

// Runs `scenario` in a child process: what it does to the process's limits and credentials
// ends with it. Its EXPECTs print as they fail. Empty when it exited with none failed, else
// how it ended.
std::string run_in_child(const std::function<void()>& scenario) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        try {
            if (!become_unprivileged())
                ADD_FAILURE() << "cannot give up root";
            else
                scenario();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "threw: " << e.what();
        }
        std::fflush(nullptr);
        ::_exit(::testing::Test::HasFailure() ? 1 : 0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    if (WEXITSTATUS(status) != 0) return "failed (see above)";
    return {};
}

// The chat service, with a count of what the server told it about each connection: every
// connection opened must be closed once, and never closed unopened.
class CountingHandler final : public netcore::ConnectionHandler {
  public:
    explicit CountingHandler(chat::ChatService& service) : service_(service) {}

    void on_open(const netcore::ConnectionPtr& conn) override {
        {
            std::lock_guard lock(mutex_);
            ++opened_[conn->id()];
        }
        service_.on_open(conn);
    }
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override {
        return service_.on_data(conn, data);
    }
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override {
        {
            std::lock_guard lock(mutex_);
            ++closed_[conn.id()];
        }
        service_.on_close(conn, reason);
    }
    std::string refusal(std::string_view why) override { return service_.refusal(why); }

    void expect_each_closed_once() const {
        std::lock_guard lock(mutex_);
        for (const auto& [id, n] : opened_) {
            EXPECT_EQ(n, 1) << "connection " << id << " opened " << n << " times";
            const auto it = closed_.find(id);
            EXPECT_EQ(it == closed_.end() ? 0 : it->second, 1)
                << "connection " << id << " closed that many times";
        }
        for (const auto& [id, n] : closed_)
            EXPECT_TRUE(opened_.count(id)) << "connection " << id << " closed, never opened";
    }

  private:
    chat::ChatService& service_;
    mutable std::mutex mutex_;
    std::map<std::uint64_t, int> opened_, closed_;
};

// No thread can start: `next` fails, `old` cannot start again either. Both clients share a
// room, so each one's close is news to the other (a send to a connection still attached to
// the engine that failed would wake an engine that is gone).
void switch_without_threads(const std::string& old, const std::string& next) {
    SCOPED_TRACE(old + " -> " + next);
    chat::ChatService service(test_service_config());
    CountingHandler handler(service);
    netcore::Server server(handler, test_server_options());
    service.set_engine_name_source([&] { return server.engine_name(); });
    server.start(old);
    TestClient a(server.port()), b(server.port());
    a.login("ada");
    b.login("bob");
    a.join("lobby");
    b.join("lobby");
    ASSERT_TRUE(ServerUnderTest::eventually([&] { return server.connection_count() == 2; }));
    rehearse(server, old, next);

    std::string error;
    {
        const OutOfThreads no_more;
        EXPECT_FALSE(server.switch_engine(next, error));
    }
    EXPECT_NE(error.find(next + " failed to start"), std::string::npos) << error;
    EXPECT_NE(error.find("restarting " + old + " failed too"), std::string::npos) << error;
    EXPECT_EQ(server.engine_name(), "");
    EXPECT_EQ(server.connection_count(), 0u);
    EXPECT_TRUE(a.wait_closed());
    EXPECT_TRUE(b.wait_closed());

    // Threads are back: a switch starts an engine afresh and serves the next client.
    error.clear();
    ASSERT_TRUE(server.switch_engine(old, error)) << error;
    TestClient c(server.port());
    EXPECT_EQ(c.login("cid").nick, "cid");
    c.reset();
    server.stop();
    handler.expect_each_closed_once();
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

TEST_P(SwitchFailure, NoThreadLeftLeavesNoEngineAndClosesEveryConnectionOnce) {
    const std::string old = GetParam();
    for (const std::string& next : engine_list()) {
        if (next == old) continue;
        EXPECT_EQ(run_in_child([&] { switch_without_threads(old, next); }), "")
            << old << " -> " << next;
    }
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
