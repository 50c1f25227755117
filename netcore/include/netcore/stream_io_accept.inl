// Template body of accept_pending (stream_io.hpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "netcore/socket_ops.hpp"

namespace netcore {

bool is_out_of_descriptors(int error);
bool is_transient_accept_error(int error);  // the peer gave up before we accepted, a signal

template <class Adopt>
AcceptOutcome accept_pending(socket_t listener, EngineHost& host, std::size_t limit,
                             Adopt&& adopt) {
    return accept_pending(
        listener, host, limit, [](socket_t) { return std::string_view{}; },
        std::forward<Adopt>(adopt));
}

template <class Gate, class Adopt>
AcceptOutcome accept_pending(socket_t listener, EngineHost& host, std::size_t limit, Gate&& why_not,
                             Adopt&& adopt) {
    AcceptOutcome out;
    // Every accept() counts against the limit, failed ones too: a flood of connections reset
    // before we accept them cannot hold the engine's thread in here.
    while (out.calls < limit) {
        std::string peer;
        const socket_t s = accept_nonblocking(listener, peer);
        ++out.calls;
        if (s == kInvalidSocket) {
            const int err = last_socket_error();
            if (is_out_of_descriptors(err) && shed_pending_connection(listener, host)) continue;
            if (is_transient_accept_error(err)) continue;
            return out;
        }
        ++out.accepted;
        if (const std::string_view why = why_not(s); !why.empty()) {
            host.refuse(s, why);
            continue;
        }
        ConnectionPtr conn = host.make_connection(s, std::move(peer));
        if (!conn) continue;
        adopt(conn);
        host.connection_opened(conn);
    }
    out.more = true;
    return out;
}

}  // namespace netcore
