// A readiness model as the readiness loop sees it: set a socket's interest, forget it, wait
// for what fired. Everything else (the thread, the inbox, accepting, reading, writing, closing,
// the counters) is the loop's (readiness_loop.hpp), so an engine file holds its model only, as
// each of Redis' ae_epoll.c, ae_poll.c and ae_select.c does.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "netcore/engine.hpp"

namespace netcore {

// What the loop wants to hear about a socket.
struct Interest {
    bool read = false;
    bool write = false;
    bool operator==(const Interest&) const = default;
};

// Keys name a registration in what fired: the wake-up, the listeners, then connections.
inline constexpr std::uint32_t kWakeKey = 0;
inline constexpr std::uint32_t kFirstListenerKey = 1;  // the i-th listener is key 1 + i
inline constexpr std::uint32_t kFirstConnectionKey =
    kFirstListenerKey + static_cast<std::uint32_t>(kMaxListeners);
inline constexpr bool is_listener_key(std::uint32_t key) {
    return key >= kFirstListenerKey && key < kFirstConnectionKey;
}

struct Fired {
    std::uint32_t key = 0;
    bool readable = false;  // input, or the peer's FIN or an error, which a recv() reports
    bool writable = false;
    bool final = false;  // the FIN or an error was seen: read to the end, no new event follows
};

struct WaitResult {
    int error = 0;            // the model's error (errno, WSA...): 0 when it worked
    std::uint32_t calls = 1;  // system calls the wait made (select: one; event_select: more)
};

// What differs between models, and what the loop does about it.
struct PollerTraits {
    std::string_view engine;     // the engine's name ("epoll")
    std::string_view wait_call;  // for logs and stats ("epoll_wait")
    // Readiness is reported once per change (epoll's EPOLLET; Winsock's messages and events,
    // re-enabled only by the next recv/send/accept): each socket is watched for both
    // directions once and never modified, reads go on until the socket is empty, and input
    // put off for backpressure is resumed by the loop itself. Level-triggered models (poll,
    // select) are told the interest that changed, and report whatever is still ready.
    bool edge_triggered = false;
    // watch/modify/forget enter the kernel (epoll_ctl, WSAAsyncSelect, WSAEventSelect): the
    // loop counts them as system calls. poll's array and select's sets are the program's.
    bool interest_in_kernel = false;
    std::string_view trigger;  // one line for the stats ("edge (EPOLLET)")
    std::string_view ceiling;  // what refuses() enforces ("FD_SETSIZE"), empty if nothing
};

class Poller {
  public:
    virtual ~Poller() = default;
    virtual const PollerTraits& traits() const = 0;

    // On the loop thread, first; throws std::runtime_error naming what failed.
    virtual void open() = 0;
    // Once the loop thread has ended and every connection is detached (after every forget).
    // signal() stays harmless until the poller is destroyed: an adopt() racing stop() may
    // still signal it.
    virtual void close() = 0;

    // Why `s` cannot be watched beside `count` others (select's FD_SETSIZE), or empty.
    virtual std::string_view refuses(socket_t s, std::size_t count) const {
        (void)s;
        (void)count;
        return {};
    }

    // 0, or the model's error: the loop then closes the connection, saying why.
    virtual int watch(socket_t s, std::uint32_t key, Interest interest) = 0;
    virtual int modify(socket_t s, std::uint32_t key, Interest interest) = 0;
    virtual void forget(socket_t s, std::uint32_t key) = 0;

    // Waits up to `timeout_ms` (-1: until something fires) and appends what fired; a
    // signal() fires as kWakeKey.
    virtual WaitResult wait(std::vector<Fired>& fired, int timeout_ms) = 0;
    // Any thread: makes the wait return (kWakeKey).
    virtual void signal() = 0;

    // The model's own facts for the stats; `s` already holds the loop's counters.
    virtual void describe(EngineStats& s) const { (void)s; }
};

}  // namespace netcore
