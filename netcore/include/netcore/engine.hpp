// The interface every I/O model implements. It has a proactor face (the host hands an engine
// bytes to send and receives bytes read) so completion engines fit it natively; readiness
// engines do their own non-blocking reads and writes behind it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netcore/connection.hpp"

namespace netcore {

// What an engine needs from the server that runs it.
class EngineHost {
  public:
    // A socket the engine accepted; the host wraps it (nullptr: refused, socket closed).
    virtual ConnectionPtr make_connection(socket_t s, std::string peer) = 0;
    // The engine is ready for the connection's traffic: the handler may now send.
    virtual void connection_opened(const ConnectionPtr& conn) = 0;
    // The engine closed the socket (after Connection::finalize).
    virtual void connection_closed(Connection& conn, CloseReason reason) = 0;
    virtual ConnectionHandler& handler() = 0;
    // Turns away a socket the engine cannot serve: one best-effort write of the handler's
    // refusal message, then close. The handler never sees the connection.
    virtual void refuse(socket_t s, std::string_view why) = 0;

  protected:
    ~EngineHost() = default;
};

// A snapshot of what an engine reports about itself, for the GUI and benchmarks.
struct EngineStats {
    std::string engine;
    std::uint64_t threads = 0;
    std::uint64_t wakeups = 0;   // returns from the model's wait call (epoll_wait, select, ...)
    std::uint64_t events = 0;    // readiness events or completions handled
    std::uint64_t syscalls = 0;  // I/O system calls issued (recv, send, submit, ...)
    std::vector<std::pair<std::string, std::string>> details;  // model-specific facts
};

// The listening sockets an engine accepts on: none (a client), one, or several (a server
// listening on more than one address); every engine serves them all, with its own model.
using Listeners = std::vector<socket_t>;
inline constexpr std::size_t kMaxListeners = 8;

// Each engine is also the WriteWaker (connection.hpp) of the connections it attaches, or
// gives them one of its own (a loop, a group).
class Engine {
  public:
    virtual ~Engine() = default;
    virtual std::string_view name() const = 0;

    // Empty when the engine can take over these connections, else why not (select's
    // FD_SETSIZE, a thread limit...). Checked before an engine switch.
    virtual std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const {
        (void)conns;
        return {};
    }

    // Starts serving the listening sockets (none: a client) and the adopted connections (from
    // an earlier engine). Throws std::exception when it cannot (out of
    // descriptors or threads, a sandbox); it has then given back what it opened, runs no
    // thread, and leaves no adopted connection attached to it. One it had to close meanwhile
    // (Phase::Closed, the host told) is not the caller's to hand on or close again.
    virtual void start(EngineHost& host, const Listeners& listeners,
                       std::vector<ConnectionPtr> adopted) = 0;

    // Takes over a socket connected while the engine runs (any thread); the engine calls
    // host.connection_opened() for it from its own thread before any of its data.
    virtual void adopt(ConnectionPtr conn) = 0;

    // Stops: finishes or cancels every operation in flight, makes no more calls to the host,
    // and hands back every live connection with its unread and unsent bytes. Returns in
    // bounded time whatever the peers do (never waits for a socket to go quiet).
    virtual std::vector<ConnectionPtr> stop() = 0;

    virtual EngineStats stats() const = 0;
};

}  // namespace netcore
