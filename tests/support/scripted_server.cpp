#include "scripted_server.hpp"

#include <chrono>

namespace testing_support {
namespace {

netcore::ServerOptions loopback_any_port() {
    netcore::ServerOptions o;
    o.port = 0;
    return o;
}

void send(netcore::Connection& conn, const chat::AnyMessage& msg) {
    conn.send(chat::encode(msg));
}

}  // namespace

ScriptedServer::ScriptedServer(const std::string& engine, Script script)
    : script_(script), server_(*this, loopback_any_port()) {
    server_.start(engine);
}

ScriptedServer::~ScriptedServer() {
    server_.stop();
}

std::vector<chat::MsgType> ScriptedServer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

int ScriptedServer::count(chat::MsgType type) const {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (auto t : received_) n += t == type;
    return n;
}

int ScriptedServer::connections() const {
    std::lock_guard lock(mutex_);
    return connections_;
}

void ScriptedServer::on_open(const netcore::ConnectionPtr& conn) {
    std::lock_guard lock(mutex_);
    ++connections_;
    decoders_.emplace(conn->id(), chat::FrameDecoder{});
}

std::size_t ScriptedServer::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    std::lock_guard lock(mutex_);
    auto& decoder = decoders_[conn.id()];
    decoder.feed(data);
    while (auto frame = decoder.next()) {
        received_.push_back(static_cast<chat::MsgType>(frame->header.type));
        if (frame->error == chat::ErrorCode::None) answer(conn, frame->message);
    }
    return data.size();
}

void ScriptedServer::on_close(netcore::Connection& conn, netcore::CloseReason) {
    std::lock_guard lock(mutex_);
    decoders_.erase(conn.id());
    nicks_.erase(conn.id());
}

// Revision 1 answers, one client at a time: every room has this client as its only member.
void ScriptedServer::answer(netcore::Connection& conn, const chat::AnyMessage& msg) {
    using namespace chat;
    std::string& nick = nicks_[conn.id()];
    if (auto* h = std::get_if<Hello>(&msg)) {
        nick = h->nick;
        send(conn, Welcome{static_cast<std::uint32_t>(conn.id()), nick, "scripted", "scripted"});
        if (script_.break_stream_after_welcome) {
            const std::byte broken[4] = {std::byte{2}, std::byte{0}, std::byte{0x40}, std::byte{0}};
            conn.send(broken);
        }
    } else if (auto* j = std::get_if<Join>(&msg)) {
        send(conn, Joined{j->room, next_seq_.try_emplace(j->room, 1).first->second, {nick}});
    } else if (std::holds_alternative<Resume>(msg)) {
        send(conn, Error{ErrorCode::UnknownType, static_cast<std::uint16_t>(MsgType::Resume),
                         "unknown message type 0x0017"});
    } else if (auto* s = std::get_if<Say>(&msg)) {
        const auto seq = next_seq_.try_emplace(s->room, 1).first->second++;
        send(conn, Message{s->room, seq, 0, nick, s->text});
    } else if (auto* p = std::get_if<Ping>(&msg)) {
        send(conn, Pong{p->token});
    } else if (std::holds_alternative<ListRooms>(msg)) {
        send(conn, Rooms{});
    } else if (std::holds_alternative<InfoReq>(msg)) {
        send(conn, Info{"scripted", "test", 1, 1, 0, 0, 0, 0, 0});
    } else if (std::holds_alternative<Bye>(msg)) {
        conn.close();
    }
}

}  // namespace testing_support
