#include "chat_bench/login_worker.hpp"

#include "chat/codec.hpp"
#include "chat_bench/fleet.hpp"

namespace chat_bench {

void LoginWorker::on_open(const netcore::ConnectionPtr& conn) {
    conn->user_data = reinterpret_cast<void*>(Waiting);
    const std::string nick = make_nick(common_, next_index_.fetch_add(1));
    conn->send(chat::encode(chat::Hello{chat::kProtocolVersion, nick, ""}));
}

std::size_t LoginWorker::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    std::size_t pos = 0;
    while (data.size() - pos >= chat::kHeaderSize) {
        const auto h = chat::read_header(data.data() + pos);
        if (h.size < chat::kHeaderSize) {
            conn.abort();
            return data.size();
        }
        if (data.size() - pos < h.size) break;
        const auto state = reinterpret_cast<std::uintptr_t>(conn.user_data);
        const auto body = data.subspan(pos + chat::kHeaderSize, h.size - chat::kHeaderSize);
        if (h.type == static_cast<std::uint16_t>(chat::MsgType::Welcome) && state == Waiting) {
            conn.user_data = reinterpret_cast<void*>(Welcomed);
            welcomed_.fetch_add(1, std::memory_order_relaxed);
        } else if (h.type == static_cast<std::uint16_t>(chat::MsgType::Error)) {
            chat::AnyMessage msg;
            if (chat::decode(h.type, body, msg) == chat::ErrorCode::None) {
                const auto& e = std::get<chat::Error>(msg);
                if (e.code == chat::ErrorCode::ServerFull && state == Waiting) {
                    conn.user_data = reinterpret_cast<void*>(Refused);
                    refused_.fetch_add(1, std::memory_order_relaxed);
                }
                note("server: ERROR " + std::string(chat::error_name(e.code)) + ": " + e.detail);
            }
        }
        pos += h.size;
    }
    return pos;
}

void LoginWorker::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    if (stopping_) return;
    const auto state = reinterpret_cast<std::uintptr_t>(conn.user_data);
    if (state == Refused) return;  // counted as refused already
    (state == Welcomed ? lost_ : shed_).fetch_add(1, std::memory_order_relaxed);
    note(std::string("connection closed by the server (") + netcore::to_string(reason) +
         (state == Welcomed ? ", after WELCOME)" : ", before WELCOME)"));
}

void LoginWorker::note(std::string text) {
    std::lock_guard lock(mutex_);
    if (first_error_.empty()) first_error_ = std::move(text);
}

std::string LoginWorker::first_error() const {
    std::lock_guard lock(mutex_);
    return first_error_;
}

}  // namespace chat_bench
