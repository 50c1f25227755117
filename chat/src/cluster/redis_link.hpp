// The node's link to Redis: one thread of its own running a poll() loop over two hiredis
// connections (one for commands and scripts, one for the subscription) and an eventfd that
// other threads wake it with. No engine thread ever waits for Redis: they post jobs here
// (post()), and everything that touches Redis or the cluster's state runs on this thread.
//
// Thread ownership: the connections, the timers and whatever the jobs touch belong to the link
// thread (assert_link_thread()); post(), available() and status() may be called from any thread.
// When either connection is lost, both are closed and opened again after a backoff (100 ms
// doubling to 5 s, with jitter); `up` runs once both are back, so the cluster can resynchronise.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/cluster_address.hpp"
#include "redis_connection.hpp"

namespace chat::cluster {

struct LinkStatus {
    bool up = false;
    std::string address;           // redis://host:port/db
    std::string last_error;        // why it was last lost ("" if never)
    double rtt_ms = -1;            // the last PING's round trip (-1: none yet)
    std::uint64_t reconnects = 0;  // times both connections were opened again after a loss
    std::uint64_t commands = 0;    // commands and scripts sent
};

class RedisLink {
  public:
    struct Hooks {
        std::function<void()> up;                      // both connections up (again)
        std::function<void(const std::string&)> down;  // lost, with the reason
    };
    static constexpr std::chrono::milliseconds kCallTimeout{2000};

    RedisLink(RedisAddress address, Hooks hooks);
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    // `name`: the connections are named "NAME-commands" and "NAME-subscriber" in Redis
    // (CLIENT LIST shows which node each is).
    void start(const std::string& name);
    // Joins the thread (bounded: no wait on Redis, every connection is just closed). Jobs posted
    // and not yet run are run first, with the connections already down, so they fail at once.
    void stop();

    // ---- any thread ----
    void post(std::function<void()> job);
    bool available() const { return available_.load(std::memory_order_acquire); }
    LinkStatus status() const;

    // ---- the link thread ----
    void assert_link_thread() const;
    bool up() const;
    RedisConnection& commands() { return commands_; }
    RedisConnection& subscriber() { return subscriber_; }
    // A command on the command connection, with kCallTimeout.
    void call(std::vector<std::string> args, ResultHandler done);
    // Closes both connections and opens them again after the backoff (a subscription that went
    // silent).
    void reconnect(const std::string& why) { connection_lost(why); }
    // Runs `tick` every `period` on the link thread (whether or not Redis is up).
    void every(std::chrono::milliseconds period, std::function<void()> tick);

  private:
    struct Timer {
        std::chrono::milliseconds period;
        Clock::time_point due;
        std::function<void()> tick;
    };
    void run();
    void run_jobs();
    void connect();
    void connection_lost(const std::string& why);
    void measure_rtt();

    const RedisAddress address_;
    std::string name_;  // set by start(), before the thread runs
    const Hooks hooks_;
    RedisConnection commands_, subscriber_;
    std::thread thread_;
    std::thread::id link_thread_;
    int wake_fd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<bool> available_{false};

    std::mutex jobs_mutex_;  // a leaf: only the job list
    std::vector<std::function<void()>> jobs_;

    // Link-thread state.
    std::vector<Timer> timers_;
    bool reconnect_pending_ = true;  // connect at the first turn
    Clock::time_point reconnect_at_{};
    std::chrono::milliseconds backoff_{100};
    bool ever_up_ = false;
    bool rtt_in_flight_ = false;

    mutable std::mutex status_mutex_;  // a leaf: status_ only
    LinkStatus status_;
};

}  // namespace chat::cluster
