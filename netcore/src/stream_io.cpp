#include "netcore/stream_io.hpp"

#include <array>

#ifndef _WIN32
#include <sys/socket.h>
#endif

namespace netcore {

namespace {
#ifdef _WIN32
using io_size_t = int;
#else
using io_size_t = std::size_t;
constexpr int kSendFlags = MSG_NOSIGNAL;
#endif
}  // namespace

ReadOutcome read_available(Connection& conn, ConnectionHandler& handler,
                           std::span<std::byte> scratch, std::size_t budget, ReadUntil until) {
    ReadOutcome out;
    if (conn.output_backlogged()) {  // answer what was asked before taking more requests
        out.paused = true;
        return out;
    }
    while (out.bytes < budget) {
        const auto n = ::recv(conn.socket(), reinterpret_cast<char*>(scratch.data()),
                              static_cast<io_size_t>(scratch.size()), 0);
        ++out.calls;
        if (n > 0) {
            out.bytes += static_cast<std::size_t>(n);
            conn.deliver(scratch.first(static_cast<std::size_t>(n)), handler);
            if (conn.must_finalize()) return out;
            if (until == ReadUntil::ShortRead && static_cast<std::size_t>(n) < scratch.size())
                return out;
            continue;
        }
        if (n == 0) {
            conn.peer_finished();
            return out;
        }
        const int err = last_socket_error();
        if (is_would_block(err)) return out;
#ifndef _WIN32
        if (err == EINTR) continue;
#endif
        out.failed = true;
        out.error = err;
        return out;
    }
    out.more = true;
    return out;
}

WriteOutcome flush_output(Connection& conn, std::size_t budget) {
    WriteOutcome out;
    for (;;) {
        const auto bytes = conn.begin_write();
        if (bytes.empty()) break;
#ifdef _WIN32
        const int n = ::send(conn.socket(), reinterpret_cast<const char*>(bytes.data()),
                             static_cast<int>(bytes.size()), 0);
#else
        const auto n = ::send(conn.socket(), bytes.data(), bytes.size(), kSendFlags);
#endif
        ++out.calls;
        if (n < 0) {
            const int err = last_socket_error();
            conn.end_write(0);
            if (is_would_block(err)) {
                out.blocked = true;
                return out;
            }
#ifndef _WIN32
            if (err == EINTR) continue;
#endif
            out.failed = true;
            return out;
        }
        out.bytes += static_cast<std::size_t>(n);
        if (!conn.end_write(static_cast<std::size_t>(n))) break;
        if (out.bytes >= budget) {
            out.more = true;
            return out;
        }
    }
    conn.shutdown_if_drained();
    return out;
}

void finalize_connection(Connection& conn, EngineHost& host, CloseReason observed) {
    const CloseReason reason = conn.finalize(observed);
    host.connection_closed(conn, reason);
}

std::span<std::byte> read_scratch() {
    thread_local std::array<std::byte, 64 * 1024> buffer;
    return buffer;
}

}  // namespace netcore
