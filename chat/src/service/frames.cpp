// on_data: splits the input into frames, answers ECHO and PING on the spot (no lock: the hot
// paths), and hands everything else, decoded, to dispatch(). Runs on the engine thread that
// reads the connection; for one connection never two at once.
#include <spdlog/spdlog.h>

#include "chat/protocol.hpp"
#include "service_core.hpp"

namespace chat::detail {
namespace {

// Counted locally and added to the shared counters once per batch of input.
struct Tally {
    std::uint64_t frames_in = 0, bytes_in = 0, frames_out = 0, bytes_out = 0;
};

// ECHO and PONG answers wait in the session's reply buffer and go out with one send per batch;
// anything else is answered in order after what was batched so far.
void flush_replies(Session& s) {
    if (s.replies.empty()) return;
    s.conn->send(s.replies);
    s.replies.clear();
}

// Adds the batch's counts to the session's and the service's (before anything that may report
// them, such as INFO, and at the end of the batch).
void count(ServiceCore& core, Session& s, Tally& tally) {
    if (tally.frames_in == 0) return;
    s.frames_in.fetch_add(tally.frames_in, std::memory_order_relaxed);
    s.frames_out.fetch_add(tally.frames_out, std::memory_order_relaxed);
    core.traffic.frames_in.fetch_add(tally.frames_in, std::memory_order_relaxed);
    core.traffic.bytes_in.fetch_add(tally.bytes_in, std::memory_order_relaxed);
    if (tally.frames_out) core.traffic.count_out(tally.frames_out, tally.bytes_out);
    tally = {};
}

// A frame the protocol does not allow: logged with who sent it (a few lines a second per
// address at most), then answered.
void protocol_error(ServiceCore& core, Session& s, ErrorCode code, std::uint16_t type,
                    std::string detail) {
    if (core.protocol_errors.allow(s.address))
        spdlog::info("protocol error {} session {} ({}): {}", s.address, s.conn->id(),
                     error_name(code), detail);
    send_error(s, code, type, std::move(detail), core.traffic);
}

void queue_reply(Session& s, std::span<const std::byte> frame, Tally& tally) {
    s.replies.insert(s.replies.end(), frame.begin(), frame.end());
    ++tally.frames_out;
    tally.bytes_out += frame.size();
}

void handle_frame(ServiceCore& core, Session& s, std::uint16_t type,
                  std::span<const std::byte> frame, Tally& tally) {
    ++tally.frames_in;
    tally.bytes_in += frame.size();
    const auto body = frame.subspan(kHeaderSize);

    if (type == static_cast<std::uint16_t>(MsgType::Echo))
        return queue_reply(s, frame, tally);  // an identical body
    if (type == static_cast<std::uint16_t>(MsgType::Ping)) {
        AnyMessage ping;
        if (decode(type, body, ping) == ErrorCode::None) {
            Bytes pong;
            encode(pong, Pong{std::get<Ping>(ping).token});
            return queue_reply(s, pong, tally);
        }
    }
    flush_replies(s);
    count(core, s, tally);
    if (!is_client_type(type))
        return protocol_error(core, s, ErrorCode::UnknownType, type,
                              type_name(type).empty()
                                  ? "unknown message type"
                                  : std::string(type_name(type)) + " is sent by servers only");
    if (!s.is_active() && !allowed_before_hello(type))
        return protocol_error(core, s, ErrorCode::NotLoggedIn, type, "send HELLO first");
    AnyMessage msg;
    if (const ErrorCode err = decode(type, body, msg); err != ErrorCode::None)
        return protocol_error(core, s, err, type,
                              std::string(error_name(err)) + " " + std::string(type_name(type)));
    dispatch(core, s, msg);
}

}  // namespace

namespace {

// Handles the whole frames at the start of `data`; returns the bytes they took. Stops after a
// HELLO that the cluster is checking (login_pending): what follows waits for its answer.
std::size_t consume(ServiceCore& core, Session& s, std::span<const std::byte> data) {
    netcore::Connection& conn = *s.conn;
    Tally tally;
    std::size_t used = 0;
    while (data.size() - used >= kHeaderSize) {
        const FrameHeader h = read_header(data.data() + used);
        const std::size_t limit = core.max_frame.load(std::memory_order_relaxed);
        if (h.size < kHeaderSize || h.size > limit) {
            // The stream is out of step: nothing after this can be trusted.
            flush_replies(s);
            const AnyMessage error = Error{
                ErrorCode::BadFrame, h.type,
                "frame size " + std::to_string(h.size) + " outside 4.." + std::to_string(limit)};
            if (core.protocol_errors.allow(s.address))
                spdlog::info("protocol error {} session {} (bad_frame): frame size {}", s.address,
                             conn.id(), h.size);
            const Lock lock(s.mutex);
            core.end_session(s, &error);
            used = data.size();
            break;
        }
        if (data.size() - used < h.size) break;
        handle_frame(core, s, h.type, data.subspan(used, h.size), tally);
        used += h.size;
        if (!conn.is_open()) {
            used = data.size();
            break;
        }
        if (s.login_pending) break;
    }
    flush_replies(s);
    count(core, s, tally);
    return used;
}

// Runs what was held while the login was checked, keeping an incomplete frame (or what
// follows another pending login) held.
void drain_held(ServiceCore& core, Session& s) {
    s.input_mutex.assert_held();
    const std::size_t used = consume(core, s, s.held_input);
    s.held_input.erase(s.held_input.begin(),
                       s.held_input.begin() + static_cast<std::ptrdiff_t>(used));
}

}  // namespace

std::size_t ServiceCore::read(netcore::Connection& conn, std::span<const std::byte> data) {
    Session* s = session_of(conn);
    if (!s) return data.size();  // refused at open: its input means nothing
    // The input lock first: release_held_input() (the link thread) takes it before the reader
    // scope too, so the two never read this session at once.
    const Lock input(s->input_mutex);
    const ReaderCheck::Scope reader(s->reader);
    s->last_rx.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    if (s->login_pending || !s->held_input.empty()) {
        s->held_input.insert(s->held_input.end(), data.begin(), data.end());
        if (!s->login_pending) drain_held(*this, *s);
        return data.size();
    }
    std::size_t used = consume(*this, *s, data);
    if (s->login_pending && used < data.size()) {
        s->held_input.insert(s->held_input.end(), data.begin() + static_cast<std::ptrdiff_t>(used),
                             data.end());
        used = data.size();
    }
    return used;
}

void ServiceCore::release_held_input(Session& s) {
    const Lock input(s.input_mutex);
    s.login_pending = false;
    if (s.held_input.empty() || !s.conn->is_open()) return;
    // The engine thread reading this connection only appends under input_mutex meanwhile.
    const ReaderCheck::Scope reader(s.reader);
    drain_held(*this, s);
}

}  // namespace chat::detail
