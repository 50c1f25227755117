#include "chat_bench/login_worker.hpp"

#include "chat/codec.hpp"
#include "chat_bench/fleet.hpp"

namespace chat_bench {

namespace {
// The states a connection's context points at: no allocation per connection.
constexpr std::uint8_t kStates[] = {0, 1, 2};
}  // namespace

void LoginWorker::set_state(netcore::Connection& conn, State state) {
    conn.set_context(&kStates[state]);
}

LoginWorker::State LoginWorker::state_of(const netcore::Connection& conn) {
    const std::uint8_t* state = conn.context<const std::uint8_t>();
    return state ? static_cast<State>(*state) : Waiting;
}

void LoginWorker::on_open(const netcore::ConnectionPtr& conn) {
    set_state(*conn, Waiting);
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
        const State state = state_of(conn);
        const auto body = data.subspan(pos + chat::kHeaderSize, h.size - chat::kHeaderSize);
        if (h.type == static_cast<std::uint16_t>(chat::MsgType::Welcome) && state == Waiting) {
            set_state(conn, Welcomed);
            welcomed_.fetch_add(1, std::memory_order_relaxed);
        } else if (h.type == static_cast<std::uint16_t>(chat::MsgType::Error)) {
            chat::AnyMessage msg;
            if (chat::decode(h.type, body, msg) == chat::ErrorCode::None) {
                const auto& e = std::get<chat::Error>(msg);
                if (e.code == chat::ErrorCode::ServerFull && state == Waiting) {
                    set_state(conn, Refused);
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
    const State state = state_of(conn);
    if (state == Refused) return;  // counted as refused already
    (state == Welcomed ? lost_ : shed_).fetch_add(1, std::memory_order_relaxed);
    const bool ours = reason == netcore::CloseReason::TlsFailed;  // we refused the server
    note((ours ? "connection failed (" : "connection closed by the server (") +
         why_closed(conn, reason) + (state == Welcomed ? ", after WELCOME)" : ", before WELCOME)"));
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
