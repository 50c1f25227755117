#include "chat_bench/echo_worker.hpp"

#include "chat/codec.hpp"
#include "chat_bench/fleet.hpp"

namespace chat_bench {

EchoWorker::EchoWorker(std::size_t depth, std::size_t frame_bytes)
    : depth_(depth), frame_bytes_(frame_bytes) {}

void EchoWorker::append_echo(Bytes& out, std::uint64_t now) {
    const std::size_t body = append_header(out, frame_bytes_, chat::MsgType::Echo);
    put_u64(out.data() + body, now);
    // The rest of the body is left as resize() made it (zeros): content does not matter.
}

void EchoWorker::on_open(const netcore::ConnectionPtr& conn) {
    opened_.fetch_add(1, std::memory_order_relaxed);
    Bytes first = greeting_ ? greeting_() : Bytes{};
    const std::uint64_t now = now_ns();
    for (std::size_t i = 0; i < depth_; ++i) append_echo(first, now);
    conn->send(first);
}

std::size_t EchoWorker::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    thread_local Bytes out;  // calls for different connections may run at once
    out.clear();
    LatencyHistogram& histogram = histograms_.local();
    const std::uint64_t now = now_ns();  // one clock read per batch: they arrived together
    const bool recording = recording_.load(std::memory_order_relaxed);
    std::size_t pos = 0, frames = 0;
    while (data.size() - pos >= chat::kHeaderSize) {
        const auto h = chat::read_header(data.data() + pos);
        if (h.size < chat::kHeaderSize) {
            note_error("bad frame size " + std::to_string(h.size) + " from the server");
            conn.abort();
            return data.size();
        }
        if (data.size() - pos < h.size) break;
        const std::byte* body = data.data() + pos + chat::kHeaderSize;
        if (h.type == static_cast<std::uint16_t>(chat::MsgType::Echo)) {
            if (h.size == frame_bytes_) {
                if (recording) histogram.record(now - get_u64(body));
                ++frames;
                append_echo(out, now);
            } else {
                note_error("an ECHO came back with " + std::to_string(h.size) + " bytes, not " +
                           std::to_string(frame_bytes_));
            }
        } else if (h.type == static_cast<std::uint16_t>(chat::MsgType::Error)) {
            chat::AnyMessage msg;
            const auto span = std::span(body, h.size - chat::kHeaderSize);
            if (chat::decode(h.type, span, msg) == chat::ErrorCode::None) {
                const auto& e = std::get<chat::Error>(msg);
                note_error("server: ERROR " + std::string(chat::error_name(e.code)) + ": " +
                           e.detail);
            }
        }
        pos += h.size;
    }
    if (frames) {
        frames_.fetch_add(frames, std::memory_order_relaxed);
        bytes_.fetch_add(frames * frame_bytes_, std::memory_order_relaxed);
        conn.send(out);
    }
    return pos;
}

void EchoWorker::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    if (stopping_.load(std::memory_order_relaxed)) return;
    lost_.fetch_add(1, std::memory_order_relaxed);
    note_error("connection " + conn.peer() + " closed: " + why_closed(conn, reason));
}

void EchoWorker::note_error(std::string text) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(error_mutex_);
    if (first_error_.empty()) first_error_ = std::move(text);
}

std::string EchoWorker::first_error() const {
    std::lock_guard lock(error_mutex_);
    return first_error_;
}

}  // namespace chat_bench
