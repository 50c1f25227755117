// A TCP proxy on loopback for tests that need the network between a client and a server to
// fail: every connection accepted on port() is relayed to the target port, byte for byte,
// until cut() resets them all at once. While held, new connections are accepted and reset at
// once, as if the path were down. POSIX only (the GUI tests that use it run on Linux).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace testing_support {

class TcpProxy {
  public:
    explicit TcpProxy(std::uint16_t target_port);  // throws std::runtime_error
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    std::uint16_t port() const { return port_; }
    // Resets every relayed connection on both sides (RST), and keeps new ones from getting
    // through until release(). Returns how many connections were cut.
    int cut();
    void release();
    int accepted() const { return accepted_.load(); }  // connections relayed so far

  private:
    struct Pair;
    void accept_loop();
    void relay(const std::shared_ptr<Pair>& pair);

    std::uint16_t target_port_;
    std::uint16_t port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};  // a pipe: the accept loop's way out
    std::atomic<bool> held_{false};
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::vector<std::shared_ptr<Pair>> pairs_;
    std::vector<std::thread> relays_;
    std::thread acceptor_;
};

}  // namespace testing_support
