// The read, write and close steps every engine that does its own socket calls shares
// (blocking, non-blocking, select, poll, epoll, WSAAsyncSelect, WSAEventSelect).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netcore/engine.hpp"

namespace netcore {

struct ReadOutcome {
    std::size_t bytes = 0;
    std::size_t calls = 0;
    bool more = false;    // stopped at the budget: the socket may still be readable
    bool paused = false;  // not read: the peer's own output is backlogged (backpressure)
    bool failed = false;  // a socket error: finalize with Reset
    // The socket error behind `failed`, read right after the call: the caller must not ask
    // for the thread's last error later, as a lock, a thread_local or a thread id taken in
    // between may reset it (on Windows TlsGetValue does).
    int error = 0;
};

// When a read may stop. A recv that fills less than the scratch buffer has emptied the
// socket's receive queue, so the EAGAIN a further recv would return can be skipped (one system
// call less per wake-up) when the model reports later input anyway: level-triggered waits
// (poll, select) ask again, and an edge-triggered epoll gets a new edge for new data. Not when
// the peer's FIN may already be queued behind the data without a new event to come.
enum class ReadUntil { WouldBlock, ShortRead };

constexpr std::size_t kReadBudget = 256 * 1024;

// Reads until the socket would block (or a short read, see ReadUntil), the peer's FIN
// (recorded on the connection), an error, or `budget` bytes; every chunk goes to the handler.
ReadOutcome read_available(Connection& conn, ConnectionHandler& handler,
                           std::span<std::byte> scratch, std::size_t budget = kReadBudget,
                           ReadUntil until = ReadUntil::WouldBlock);

struct WriteOutcome {
    std::size_t bytes = 0;
    std::size_t calls = 0;
    bool blocked = false;  // output remains: wait for writability
    bool more = false;     // stopped at the budget with output left
    bool failed = false;
};

// Writes queued output until drained, the socket would block, or `budget` bytes are out;
// then, if a graceful close is under way and everything is out, sends our FIN.
WriteOutcome flush_output(Connection& conn, std::size_t budget = SIZE_MAX);

// Closes the socket and tells the host, reporting a requested reason over the observed one.
void finalize_connection(Connection& conn, EngineHost& host, CloseReason observed);

// A thread's scratch buffer for reads (64 KiB), so idle connections own no read buffer.
std::span<std::byte> read_scratch();

}  // namespace netcore

namespace netcore {

struct AcceptOutcome {
    std::size_t accepted = 0;
    std::size_t calls = 0;
    bool more = false;  // stopped at the limit: more may be pending
};

// Accepts pending connections (at most `limit` accept() calls) from a non-blocking listener;
// a connection its peer reset before we accepted it is skipped. For each one the
// host makes the Connection, `adopt(conn)` registers it with the engine, then the handler is
// told it opened. When descriptors run out, the pending connection is shed rather than spun on.
template <class Adopt>
AcceptOutcome accept_pending(socket_t listener, EngineHost& host, std::size_t limit, Adopt&& adopt);

// The same with a gate: `why_not(socket)` returns a reason to turn the socket away (the host
// refuses it before any Connection exists, so the handler never sees it) or an empty view.
template <class Gate, class Adopt>
AcceptOutcome accept_pending(socket_t listener, EngineHost& host, std::size_t limit, Gate&& why_not,
                             Adopt&& adopt);

// For EMFILE/ENFILE: turns the oldest pending connection away, with the host's refusal
// ("server_full") where the platform can spare a descriptor for it; true if one was shed.
bool shed_pending_connection(socket_t listener, EngineHost& host);

}  // namespace netcore

#include "netcore/stream_io_accept.inl"
