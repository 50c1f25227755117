#include "chat_bench/room_worker.hpp"

#include "chat/codec.hpp"
#include "chat_bench/fleet.hpp"

namespace chat_bench {
namespace {

constexpr auto kMessage = static_cast<std::uint16_t>(chat::MsgType::Message);

void raise_to(std::atomic<std::uint64_t>& a, std::uint64_t v) {
    std::uint64_t cur = a.load(std::memory_order_relaxed);
    while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
}

}  // namespace

void RoomPlan::error(std::string text) {
    std::lock_guard lock(mutex);
    if (first_error.empty()) first_error = std::move(text);
}

void RoomWorker::on_open(const netcore::ConnectionPtr& conn) {
    auto m = std::make_unique<Member>();
    m->index = plan_.next_index.fetch_add(1);
    m->member = m->index < plan_.members;
    m->sender = m->index < plan_.senders;
    m->nick = make_nick(plan_.common, m->index);
    conn->set_context(m.get());
    Bytes first = chat::encode(chat::Hello{chat::kProtocolVersion, m->nick, ""});
    chat::encode(first, chat::Join{plan_.room});  // pipelined: the server keeps the order
    if (m->member) {
        std::lock_guard lock(plan_.mutex);
        plan_.member_conns.push_back(conn);
        if (m->sender) plan_.sender_conns.push_back(conn);
    }
    {
        std::lock_guard lock(members_mutex_);
        by_conn_.emplace(conn->id(), std::move(m));
    }
    conn->send(first);
}

std::size_t RoomWorker::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    auto* m = conn.context<Member>();
    if (!m) return data.size();
    thread_local Bytes out;
    out.clear();
    Batch batch{now_ns(), out, histograms_.local()};
    std::size_t pos = 0;
    while (data.size() - pos >= chat::kHeaderSize) {
        const auto h = chat::read_header(data.data() + pos);
        if (h.size < chat::kHeaderSize) {
            plan_.error("bad frame size " + std::to_string(h.size) + " from the server");
            conn.abort();
            return data.size();
        }
        if (data.size() - pos < h.size) break;
        on_frame(*m, conn, h.type,
                 data.subspan(pos + chat::kHeaderSize, h.size - chat::kHeaderSize), batch);
        pos += h.size;
    }
    if (!out.empty()) conn.send(out);
    return pos;
}

void RoomWorker::on_frame(Member& m, netcore::Connection& conn, std::uint16_t type,
                          std::span<const std::byte> body, Batch& batch) {
    if (type == kMessage) return on_message(m, body, batch);
    chat::AnyMessage msg;
    if (chat::decode(type, body, msg) != chat::ErrorCode::None) return;
    if (const auto* j = std::get_if<chat::Joined>(&msg)) {
        if (m.joined || j->room != plan_.room) return;
        m.joined = true;
        m.next_seq.store(j->next_seq, std::memory_order_relaxed);
        if (!m.member) {
            conn.close();  // a churner: in and straight out again
            return;
        }
        raise_to(plan_.first_seq, j->next_seq);
        plan_.joined.fetch_add(1);
        plan_.changed.notify_all();
    } else if (const auto* e = std::get_if<chat::Error>(&msg)) {
        if (e->code == chat::ErrorCode::RateLimited) {
            plan_.rejected.fetch_add(1);
            std::lock_guard lock(plan_.mutex);
            plan_.rate_limited = true;
            return;
        }
        if (e->code == chat::ErrorCode::ServerFull) plan_.refused.fetch_add(1);
        plan_.error("server: ERROR " + std::string(chat::error_name(e->code)) + " to " + m.nick +
                    ": " + e->detail);
    }
}

void RoomWorker::on_message(Member& m, std::span<const std::byte> body, Batch& batch) {
    const auto msg = parse_message(body);
    if (!msg || msg->room != plan_.room || !m.joined) return;
    const std::uint64_t expected = m.next_seq.load(std::memory_order_relaxed);
    if (msg->seq == expected) {
        m.next_seq.store(expected + 1, std::memory_order_relaxed);
    } else if (msg->seq > expected) {
        plan_.gaps.fetch_add(1, std::memory_order_relaxed);
        plan_.missed.fetch_add(msg->seq - expected, std::memory_order_relaxed);
        m.next_seq.store(msg->seq + 1, std::memory_order_relaxed);
    } else {
        plan_.duplicates.fetch_add(1, std::memory_order_relaxed);
    }
    ++m.received;
    plan_.deliveries.fetch_add(1, std::memory_order_relaxed);
    if (plan_.recording.load(std::memory_order_relaxed))
        if (const auto sent = timed_text_ns(msg->text); sent && *sent <= batch.now)
            batch.latency.record(batch.now - *sent);
    // Closed loop: a sender's own message came back, so its next one may go.
    if (m.sender && plan_.closed_loop.load(std::memory_order_relaxed) && msg->from == m.nick) {
        append_timed_say(batch.out, plan_.room, plan_.text_bytes, batch.now);
        plan_.said.fetch_add(1, std::memory_order_relaxed);
    }
}

void RoomWorker::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    auto* m = conn.context<Member>();
    if (!m) return;
    const bool member = m->member, joined = m->joined;
    if (!member) {
        std::lock_guard lock(members_mutex_);
        by_conn_.erase(conn.id());  // churners leave nothing behind
        conn.set_context<Member>(nullptr);
    }
    if (member) {
        if (!plan_.stopping.load()) {
            plan_.lost_members.fetch_add(1);
            plan_.error("member connection closed during the run: " + why_closed(conn, reason));
        }
        return;
    }
    if (joined)
        plan_.churn_cycles.fetch_add(1, std::memory_order_relaxed);
    else if (!plan_.stopping.load())
        plan_.churn_failures.fetch_add(1, std::memory_order_relaxed);
    {
        std::lock_guard lock(plan_.mutex);
        --plan_.churners_open;
    }
    plan_.changed.notify_all();
}

std::size_t RoomWorker::behind(std::uint64_t last_seq) const {
    std::lock_guard lock(members_mutex_);
    std::size_t n = 0;
    for (const auto& [id, m] : by_conn_)
        if (m->member && m->next_seq.load(std::memory_order_relaxed) != last_seq + 1) ++n;
    return n;
}

}  // namespace chat_bench
