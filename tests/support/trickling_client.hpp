// A client that never lets its socket go quiet: a PING every few tens of milliseconds, or an
// ECHO stream, sent on its own thread whatever the server answers, while a second thread reads
// the answers and checks that each comes back once and in order. It keeps sending after BYE
// and after the server's FIN (as an impatient or hostile client does) until a send fails
// because the server closed the socket, finish() is called, or its lifetime runs out (so a
// server that stalls fails a test instead of hanging).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "test_client.hpp"

namespace testing_support {

class TricklingClient {
  public:
    enum class Kind {
        Ping,        // a 12-byte PING every `interval`
        EchoStream,  // a 1000-byte ECHO every `interval` (1 ms: the socket is never quiet)
    };

    // Connects, logs in as `nick` and starts trickling at once.
    TricklingClient(std::uint16_t port, std::string nick, Kind kind,
                    std::chrono::milliseconds interval,
                    std::chrono::milliseconds lifetime = std::chrono::seconds(30));
    ~TricklingClient();
    TricklingClient(const TricklingClient&) = delete;
    TricklingClient& operator=(const TricklingClient&) = delete;

    // Stops sending and waits (up to `timeout`) for the answers still owed; true when every
    // request sent was answered (false after a BYE, an end of stream or a close).
    bool finish(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    std::uint64_t sent() const { return sent_; }
    std::uint64_t answered() const { return answered_; }
    bool saw_bye() const { return saw_bye_; }
    bool ended() const { return ended_; }    // the server's FIN (or reset) was read
    bool closed() const { return closed_; }  // a send failed: the server closed the socket
    // The longest a request waited for its answer so far.
    std::chrono::milliseconds worst_wait() const;
    std::string error() const;  // empty, or the first answer that was wrong or out of order
    const std::string& nick() const { return nick_; }

  private:
    void send_loop();
    void read_loop();
    void fail(std::string why);

    std::string nick_;
    Kind kind_;
    std::chrono::milliseconds interval_;
    std::chrono::steady_clock::time_point end_of_life_;
    TestClient client_;

    std::atomic<bool> stop_sending_{false}, stop_reading_{false};
    std::atomic<std::uint64_t> sent_{0}, answered_{0};
    std::atomic<bool> saw_bye_{false}, ended_{false}, closed_{false};
    mutable std::mutex mutex_;                                   // guards the fields below
    std::deque<std::chrono::steady_clock::time_point> sent_at_;  // of requests not yet answered
    std::chrono::steady_clock::duration worst_{0};
    std::string error_;
    std::thread sender_, reader_;
};

}  // namespace testing_support
