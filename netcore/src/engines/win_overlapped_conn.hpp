// A connection's overlapped state in overlapped_event and overlapped_callback, and what each
// completion means for it. How an operation is issued (event or completion routine) and how
// its completion comes back stays in the engine.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "netcore/connection.hpp"
#include "win_overlapped.hpp"

namespace netcore::win {

// What the engine posts after a completion.
struct NextIo {
    bool send = false;
    bool receive = false;
};

// At most one receive and one send in flight. The OVERLAPPEDs, the receive buffer and the
// send span (begin_write() keeps it put until end_write()) must outlive their completion,
// also across a close.
struct OverlappedConn {
    ConnectionPtr conn;
    OVERLAPPED recv_ov{};
    OVERLAPPED send_ov{};
    std::unique_ptr<char[]> recv_buf{new char[kRecvSize]};
    bool receiving = false, sending = false, closing = false;
    bool paused = false;  // backpressure: the next receive waits for the output to drain
    CloseReason observed = CloseReason::PeerClosed;

    bool in_flight() const { return receiving || sending; }

    // A receive may be posted: none in flight, no close, the peer has not finished. And no
    // backpressure, as read_available() does for the readiness engines: while the peer's own
    // output is past half of max_send_queue, `paused` is set and the receive waits for a
    // send completion that brings the output back under the mark (send_done).
    bool may_receive(bool stopping);
    // The bytes to send next; empty when a send is in flight, a close is under way, or all
    // is sent (then a graceful close that has drained sends our FIN).
    std::span<const std::byte> next_send(bool stopping);
    void send_failed();  // WSASend did not start: nothing was sent, close

    // A receive completed: data goes to the handler, then receive again; the peer's FIN is
    // recorded, then what is left is sent. A failure closes, except while stopping, where the
    // receives are cancelled on purpose.
    NextIo recv_done(bool ok, DWORD bytes, bool stopping, ConnectionHandler& handler);
    // A send completed: send the rest, and retry a receive held for backpressure.
    NextIo send_done(bool ok, DWORD bytes, bool stopping);

    // The first reason wins. What is in flight is cancelled; its completions still come, and
    // the connection may be finalized once none is in flight.
    void begin_close(CloseReason reason);
};

}  // namespace netcore::win
