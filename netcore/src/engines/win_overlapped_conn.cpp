#include "win_overlapped_conn.hpp"

namespace netcore::win {

bool OverlappedConn::may_receive(bool stopping) {
    if (closing || receiving || stopping || conn->peer_has_finished()) return false;
    paused = conn->output_backlogged();
    return !paused;
}

std::span<const std::byte> OverlappedConn::next_send(bool stopping) {
    if (closing || sending || stopping) return {};
    const auto bytes = conn->begin_write();
    if (bytes.empty()) conn->shutdown_if_drained();
    return bytes;
}

void OverlappedConn::send_failed() {
    conn->end_write(0);
    begin_close(CloseReason::Reset);
}

NextIo OverlappedConn::recv_done(bool ok, DWORD bytes, bool stopping, ConnectionHandler& handler) {
    receiving = false;
    if (!ok) {
        if (!stopping) begin_close(CloseReason::Reset);
        return {};
    }
    if (bytes == 0) {
        conn->peer_finished();
        return {.send = true};
    }
    conn->deliver(std::span(reinterpret_cast<const std::byte*>(recv_buf.get()), bytes), handler);
    return {.receive = true};
}

NextIo OverlappedConn::send_done(bool ok, DWORD bytes, bool stopping) {
    sending = false;
    conn->end_write(ok ? bytes : 0);
    if (!ok) {
        if (!stopping) begin_close(CloseReason::Reset);
        return {};
    }
    return {.send = true, .receive = paused};
}

void OverlappedConn::begin_close(CloseReason reason) {
    if (closing) return;
    closing = true;
    observed = reason;
    if (in_flight()) ::CancelIoEx(reinterpret_cast<HANDLE>(conn->socket()), nullptr);
}

}  // namespace netcore::win
