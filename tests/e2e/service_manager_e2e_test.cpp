// chat_server under a service manager: with NOTIFY_SOCKET set (as systemd sets it for a
// Type=notify unit) it says READY=1 once it listens, and STOPPING=1 when SIGTERM begins the
// shutdown.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "server_under_test.hpp"

using namespace testing_support;

namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
  public:
    NotifySocket() {
        path_ = ::testing::TempDir() + "netchat_notify_" + std::to_string(::getpid());
        ::unlink(path_.c_str());
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot bind " + path_);
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }
    // The next message, or "" after 5 s.
    std::string next() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) return {};
        char buf[512];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

  private:
    std::string path_;
    int fd_ = -1;
};

TEST(ServiceManager, NotifiesReadyOnceListeningAndStoppingOnSigterm) {
    if (kForeign) GTEST_SKIP() << "sd_notify is systemd's (Linux only)";
    NotifySocket notify;
    SpawnOptions options;
    options.env = {"NOTIFY_SOCKET=" + notify.path()};
    ServerProcess server(kServer, with_prefix({"--port", "0"}), options);
    ASSERT_NE(server.wait_listening(), 0);
    const std::string ready = notify.next();
    EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
    EXPECT_NE(ready.find("MAINPID=" + std::to_string(server.pid())), std::string::npos) << ready;
    server.signal(SIGTERM);
    EXPECT_NE(notify.next().find("STOPPING=1"), std::string::npos);
    EXPECT_EQ(server.wait_exit(std::chrono::seconds(10)), 0);
}

}  // namespace
