// One connection to Redis through hiredis' asynchronous API, driven by the link thread's poll()
// loop: hiredis asks for read/write interest through its adapter hooks (addRead, delRead,
// addWrite, delWrite, cleanup), which here only set the bits the loop polls for.
//
// Thread: everything here runs on the link thread (RedisLink), asserted. hiredis 0.14 has no
// timeouts of its own: every command carries a deadline, and a connection with a command past
// its deadline is closed (a Redis that stopped answering is no better than one that is gone).
// Results are handed to their callbacks after hiredis has returned, never from inside it, so a
// callback may send more commands or close the connection.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chat/cluster_address.hpp"
#include "redis_value.hpp"

struct redisAsyncContext;

namespace chat::cluster {

using Clock = std::chrono::steady_clock;
using ResultHandler = std::function<void(RedisResult)>;
// A message on a subscribed channel: (channel, payload).
using MessageHandler = std::function<void(const std::string&, const std::string&)>;

class RedisConnection {
  public:
    enum class State { Down, Connecting, Up };

    // `name` is for the log ("command", "subscriber"); `on_down` runs (on the link thread,
    // outside hiredis) when an open or opening connection is lost, with the reason.
    RedisConnection(std::string name, std::function<void(const std::string&)> on_down);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Starts a non-blocking connect, then SELECT db and a PING whose answer makes it Up (and
    // runs `on_up`). False, with the reason, if it cannot even start.
    // `name`: CLIENT SETNAME, so that CLIENT LIST tells the connections apart.
    bool open(const RedisAddress& address, const std::string& name,
              std::chrono::milliseconds timeout, std::function<void()> on_up, std::string& error);
    // Closes it: every command not yet answered fails with `why`. No on_down for a close asked.
    void close(const std::string& why);
    State state() const { return state_; }
    // The thread that drives it from now on (the link thread, as it starts).
    void bind_thread() { owner_ = std::this_thread::get_id(); }

    // Sends a command; `done` gets the reply, or a failure if the connection is lost or no
    // reply comes within `timeout`. A connection that is not Up fails it at once.
    void command(std::vector<std::string> args, ResultHandler done,
                 std::chrono::milliseconds timeout);
    // SUBSCRIBE: `on_message` gets every message of the channel until the connection closes;
    // `subscribed` runs once Redis has confirmed the subscription (or with a failure).
    void subscribe(const std::string& channel, MessageHandler on_message, ResultHandler subscribed,
                   std::chrono::milliseconds timeout);
    bool subscribed_to(const std::string& channel) const { return channels_.count(channel) > 0; }

    // ---- the poll() loop ----
    int fd() const;  // -1 when there is no socket
    short poll_events() const { return events_; }
    void handle(short revents);
    // Closes the connection if a command is past its deadline.
    void check_deadlines(Clock::time_point now);

  private:
    struct Pending;
    struct Channel;
    static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_channel(redisAsyncContext* ac, void* reply, void* privdata);
    static void on_connect(const redisAsyncContext* ac, int status);
    static void add_read(void* self);
    static void del_read(void* self);
    static void add_write(void* self);
    static void del_write(void* self);
    static void cleanup(void* self);

    bool send(std::vector<std::string>& args, void (*fn)(redisAsyncContext*, void*, void*),
              void* privdata);
    void lost(const std::string& why);  // hiredis dropped the context
    void run_ready();                   // the results collected while inside hiredis
    void assert_link_thread() const;

    const std::string name_;
    const std::function<void(const std::string&)> on_down_;
    std::function<void()> on_up_;
    redisAsyncContext* ac_ = nullptr;
    State state_ = State::Down;
    short events_ = 0;
    bool closing_ = false;  // close() asked: no on_down
    std::string lost_why_;  // why hiredis dropped it, from the connect callback or errstr
    std::deque<std::unique_ptr<Pending>> pending_;  // sent, in order, not yet answered
    std::map<std::string, std::unique_ptr<Channel>> channels_;
    std::vector<std::function<void()>> ready_;  // to run once hiredis has returned
    std::thread::id owner_;
};

}  // namespace chat::cluster
