#include "completion_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "netcore/socket_ops.hpp"
#include "netcore/stream_io.hpp"

namespace netcore {

void CompletionEngine::open(CompletionConn& c, bool needs_open) {
    EngineSlot::attach(*c.conn, this, &c);  // before on_open: the handler may send at once
    if (needs_open) host_->connection_opened(c.conn);
    settle(c);
}

void CompletionEngine::woken(CompletionConn& c) {
    EngineSlot::take_flush(*c.conn);
    post_send(c);
    settle(c);
}

void CompletionEngine::receive_ready(CompletionConn& c, bool ok) {
    c.receiving = false;
    op_done();
    if (!ok) {
        if (!stopping()) begin_close(c, CloseReason::Reset);  // else cancelled on purpose
    } else if (!stopping()) {                                 // stopping: the next engine reads it
        // A short read emptied the socket; later input (or the FIN) finishes the next
        // zero-byte receive, so no recv that would block is needed to find out.
        const auto r = read_available(*c.conn, host_->handler(), read_scratch(), kReadBudget,
                                      ReadUntil::ShortRead);
        count_syscalls(r.calls);
        if (r.failed) begin_close(c, CloseReason::Reset);
        if (c.conn->peer_has_finished()) post_send(c);  // answer what was asked, then our FIN
    }
    settle(c);
}

void CompletionEngine::received(CompletionConn& c, std::span<const std::byte> bytes) {
    // Bytes the kernel took are never dropped: delivered now (even while closing or stopping),
    // or held while the peer's answers are backlogged.
    if (!c.held.empty() || (c.paused && !stopping()))
        c.held.insert(c.held.end(), bytes.begin(), bytes.end());
    else
        c.conn->deliver(bytes, host_->handler());
    if (!c.paused && c.conn->output_backlogged()) {
        // Backpressure: take no more requests until the answers drain (sent() resumes).
        c.paused = true;
        if (c.receiving) cancel(c, Cancel::Receive);
    }
}

void CompletionEngine::end_receive(CompletionConn& c) {
    c.receiving = false;
    op_done();
}

void CompletionEngine::peer_finished(CompletionConn& c) {
    deliver_held(c, true);  // what it asked for before its FIN comes first
    c.conn->peer_finished();
    post_send(c);
}

void CompletionEngine::sent(CompletionConn& c, std::size_t bytes, bool failed) {
    c.sending = false;
    op_done();
    c.conn->end_write(std::min(bytes, c.send_size));  // never more than was handed over
    if (failed && !stopping()) {
        begin_close(c, CloseReason::Reset);
    } else {
        resume_if_drained(c);
        post_send(c);  // the rest, or what was queued meanwhile
    }
    settle(c);
}

void CompletionEngine::settle(CompletionConn& c) {
    if (!c.closing && c.conn->must_finalize()) begin_close(c, CloseReason::PeerClosed);
    if (!c.closing) post_receive(c);
    if (!c.closing || c.in_flight()) return;
    // Nothing in flight: no kernel or queue holds a pointer into `c` any more.
    c.finished = true;
    const ConnectionPtr conn = c.conn;
    finalize_connection(*conn, *host_, c.observed);  // after it, wake() is never called
    forget(c);
}

void CompletionEngine::begin_close(CompletionConn& c, CloseReason reason) {
    if (c.closing) return;
    c.closing = true;
    c.observed = reason;
    if (c.in_flight()) cancel(c, Cancel::Both);
}

void CompletionEngine::drain(CompletionConn& c, bool sends_too) {
    deliver_held(c, true);
    if (c.receiving || (sends_too && c.sending))
        cancel(c, sends_too ? Cancel::Both : Cancel::Receive);
}

void CompletionEngine::abandon(CompletionConn& c) {
    const int ops = int{c.receiving} + int{c.sending};
    abandoned_.fetch_add(1, std::memory_order_relaxed);
    abandoned_ops_.fetch_add(ops, std::memory_order_relaxed);
    for (int i = 0; i < ops; ++i) op_done();  // they never report: the engine ignores them
    c.receiving = c.sending = false;
    c.closing = c.finished = true;
    c.held.clear();
    finalize_connection(*c.conn, *host_, CloseReason::Reset);  // after it, wake() is never called
}

void CompletionEngine::report_abandoned() {
    const std::size_t conns = abandoned_.load(std::memory_order_relaxed);
    if (conns == 0) return;
    spdlog::error(
        "{}: stop gave up on {} operation(s) of {} connection(s) whose completion did not come "
        "{} ms after they were cancelled; those connections are closed and their operation "
        "buffers leaked (the system may still write into them)",
        name_, abandoned_ops_.load(std::memory_order_relaxed), conns,
        StopClock::kCancelWait.count());
}

EngineStats CompletionEngine::base_stats(std::uint64_t threads) const {
    EngineStats s = counters_.snapshot(name_, threads);
    s.details.emplace_back("operations in flight", std::to_string(ops_in_flight()));
    return s;
}

// Posts the next receive unless one is in flight, the connection is closing or its peer has
// finished, the engine stops, or the peer's own output is past half of max_send_queue
// (backpressure, as read_available() does for the readiness engines): then `paused` is set
// and the send that brings the output under the mark resumes it.
void CompletionEngine::post_receive(CompletionConn& c) {
    if (c.closing || c.receiving || c.deferred || stopping() || c.conn->peer_has_finished()) return;
    if (!c.held.empty()) return;  // held input goes first, as the answers drain
    c.paused = c.conn->output_backlogged();
    if (c.paused) return;
    c.receiving = true;
    op_posted();
    if (const int error = submit_receive(c); error != 0) {
        c.receiving = false;
        op_done();
        fail(c, "cannot post a receive", error);
    }
}

// Posts the next send if none is in flight; with nothing left, completes a graceful close.
void CompletionEngine::post_send(CompletionConn& c) {
    if (c.closing || c.sending || stopping()) return;
    const auto bytes = c.conn->begin_write();  // stable until end_write()
    if (bytes.empty()) {
        c.conn->shutdown_if_drained();
        return;
    }
    c.sending = true;
    c.send_size = bytes.size();
    op_posted();
    if (const int error = submit_send(c, bytes); error != 0) {
        c.sending = false;
        op_done();
        c.conn->end_write(0);
        fail(c, "cannot post a send", error);
    }
}

// Hands held input to the service a piece at a time while the answers are not backlogged (or
// all of it: before a FIN, or before the next engine takes over).
void CompletionEngine::deliver_held(CompletionConn& c, bool all) {
    constexpr std::size_t kPiece = 8 * 1024;
    std::size_t at = 0;
    while (at < c.held.size() && (all || !c.conn->output_backlogged())) {
        const std::size_t n = std::min(kPiece, c.held.size() - at);
        c.conn->deliver(std::span(c.held).subspan(at, n), host_->handler());
        at += n;
    }
    c.held.erase(c.held.begin(), c.held.begin() + static_cast<std::ptrdiff_t>(at));
}

void CompletionEngine::resume_if_drained(CompletionConn& c) {
    if (!c.paused || c.conn->output_backlogged()) return;
    deliver_held(c, false);
    if (c.held.empty() && !c.conn->output_backlogged()) c.paused = false;  // settle posts it
}

void CompletionEngine::fail(CompletionConn& c, const char* what, int error) {
    spdlog::warn("{}: connection {} ({}): {}: {}; closing it", name_, c.conn->id(), c.conn->peer(),
                 what, socket_error_text(error));
    begin_close(c, CloseReason::Reset);
}

}  // namespace netcore
