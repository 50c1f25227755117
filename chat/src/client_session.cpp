#include "chat/client_session.hpp"

#include <algorithm>

namespace chat {
namespace {
template <class T>
void keep_last(std::deque<T>& q, T item, std::size_t limit) {
    q.push_back(std::move(item));
    while (q.size() > limit) q.pop_front();
}
}  // namespace

Bytes ClientSession::hello(const std::string& nick, const std::string& password) {
    state_ = ClientState::Handshake;
    refusal_.reset();
    return encode(Hello{kProtocolVersion, nick, password});
}

std::optional<Bytes> ClientSession::say(const std::string& room, const std::string& text) const {
    if (text.empty() || text.size() > kMaxTextBytes) return std::nullopt;
    return encode(Say{room, text});
}

std::optional<Bytes> ClientSession::whisper(const std::string& to, const std::string& text) const {
    if (text.empty() || text.size() > kMaxTextBytes) return std::nullopt;
    return encode(Whisper{to, text});
}

Bytes ClientSession::move(const std::string& room, int x, int y) const {
    return encode(Move{room, static_cast<std::uint8_t>(std::clamp(x, 0, kBoardSize - 1)),
                       static_cast<std::uint8_t>(std::clamp(y, 0, kBoardSize - 1))});
}

Bytes ClientSession::ping(Clock::time_point now) {
    const std::uint64_t token = next_ping_token_++;
    pings_[token] = now;
    while (pings_.size() > 16) pings_.erase(pings_.begin());  // answers that never came
    return encode(Ping{token});
}

std::vector<AnyMessage> ClientSession::feed(std::span<const std::byte> bytes,
                                            Clock::time_point now) {
    std::vector<AnyMessage> out;
    decoder_.feed(bytes);
    while (auto frame = decoder_.next()) {
        if (frame->error != ErrorCode::None) continue;  // unreadable, but the stream is in step
        ++frames_in_;
        apply(frame->message, now);
        out.push_back(std::move(frame->message));
    }
    // A broken server: the stream is out of step and nothing after this can be trusted.
    if (decoder_.broken()) state_ = ClientState::Closed;
    return out;
}

void ClientSession::apply(const AnyMessage& msg, Clock::time_point now) {
    if (auto* w = std::get_if<Welcome>(&msg)) {
        state_ = ClientState::Ready;
        nick_ = w->nick;
        server_name_ = w->server_name;
        engine_ = w->engine;
    } else if (auto* e = std::get_if<Error>(&msg)) {
        keep_last(errors_, *e, 50);
        const bool refused = state_ == ClientState::Handshake &&
                             e->in_reply_to == static_cast<std::uint16_t>(MsgType::Hello);
        if (refused || e->code == ErrorCode::ServerFull || e->code == ErrorCode::BadFrame ||
            e->code == ErrorCode::Timeout) {
            refusal_ = Refusal{e->code, explain(e->code, e->detail)};
            if (refused || e->code == ErrorCode::ServerFull) state_ = ClientState::Refused;
        }
    } else if (auto* j = std::get_if<Joined>(&msg)) {
        on_joined(*j);
    } else if (auto* rs = std::get_if<Resumed>(&msg)) {
        on_resumed(*rs);
    } else if (auto* l = std::get_if<Left>(&msg)) {
        rooms_.erase(l->room);
    } else if (auto* ev = std::get_if<RoomEvent>(&msg)) {
        RoomView& r = room(ev->room);
        if (ev->kind == RoomEventKind::Joined) {
            if (std::find(r.members.begin(), r.members.end(), ev->nick) == r.members.end())
                r.members.push_back(ev->nick);
        } else {
            std::erase(r.members, ev->nick);
            std::erase_if(r.board, [&](const Piece& p) { return p.nick == ev->nick; });
        }
        keep_last(r.lines,
                  ChatLine{0, 0, ev->nick, ev->kind == RoomEventKind::Joined ? "joined" : "left",
                           ChatLine::Kind::Event},
                  RoomView::kMaxLines);
    } else if (auto* m = std::get_if<Message>(&msg)) {
        on_message(*m);
    } else if (auto* b = std::get_if<Board>(&msg)) {
        room(b->room).board = b->pieces;
    } else if (auto* w2 = std::get_if<Whispered>(&msg)) {
        keep_last(whispers_, *w2, 500);
        ++whispers_total_;
    } else if (auto* n = std::get_if<Notice>(&msg)) {
        keep_last(notices_, n->text, 100);
        ++notices_total_;
        for (auto& [name, r] : rooms_) {
            keep_last(r.lines, ChatLine{0, 0, "operator", n->text, ChatLine::Kind::Notice},
                      RoomView::kMaxLines);
            ++r.version;
        }
    } else if (auto* rs = std::get_if<Rooms>(&msg)) {
        room_list_ = rs->rooms;
    } else if (auto* pong = std::get_if<Pong>(&msg)) {
        if (auto it = pings_.find(pong->token); it != pings_.end()) {
            rtt_ = std::chrono::duration_cast<std::chrono::microseconds>(now - it->second);
            pings_.erase(it);
        }
    } else if (auto* info = std::get_if<Info>(&msg)) {
        engine_ = info->engine;
    } else if (std::holds_alternative<Bye>(msg)) {
        state_ = ClientState::Closed;
    }
}

void ClientSession::on_joined(const Joined& j) {
    RoomView& r = room(j.room);
    if (r.next_seq != 0 && j.next_seq > r.next_seq) {
        // Rejoined after being away: what was said meanwhile is lost, and shown as such.
        r.missed += j.next_seq - r.next_seq;
        keep_last(r.lines,
                  ChatLine{0, 0, "",
                           "missed messages " + std::to_string(r.next_seq) + ".." +
                               std::to_string(j.next_seq - 1),
                           ChatLine::Kind::Gap},
                  RoomView::kMaxLines);
    } else if (r.next_seq != 0 && j.next_seq < r.next_seq) {
        // seq went back: a restarted server. What it heard before it went down is unknowable.
        keep_last(
            r.lines,
            ChatLine{0, 0, "",
                     "the server restarted: seq starts again at " + std::to_string(j.next_seq) +
                         " (messages said before the restart may be lost)",
                     ChatLine::Kind::Gap},
            RoomView::kMaxLines);
    }
    r.next_seq = j.next_seq;
    r.members = j.members;
}

// RESUMED tells the whole story (docs/protocol.md, "History and resume"): the same epoch and
// next_seq right after the last one shown is no gap; a larger next_seq is that many messages
// gone for good; another epoch is a room that started over. The replayed MESSAGEs follow.
void ClientSession::on_resumed(const Resumed& m) {
    RoomView& r = room(m.room);
    if (r.epoch != 0 && m.epoch != r.epoch) {
        keep_last(r.lines,
                  ChatLine{0, 0, "",
                           "the room started over (the server lost its history): seq starts "
                           "again at " +
                               std::to_string(m.next_seq),
                           ChatLine::Kind::Gap},
                  RoomView::kMaxLines);
    } else if (r.epoch == m.epoch && r.next_seq != 0 && m.next_seq > r.next_seq) {
        r.missed += m.next_seq - r.next_seq;
        keep_last(r.lines,
                  ChatLine{0, 0, "",
                           "missed messages " + std::to_string(r.next_seq) + ".." +
                               std::to_string(m.next_seq - 1) + " (older than the history)",
                           ChatLine::Kind::Gap},
                  RoomView::kMaxLines);
    }
    r.epoch = m.epoch;
    r.next_seq = m.next_seq;
    r.live_seq = m.live_seq;
    r.members = m.members;
}

void ClientSession::on_message(const Message& m) {
    RoomView& r = room(m.room);
    if (r.next_seq != 0 && m.seq > r.next_seq) {
        r.missed += m.seq - r.next_seq;
        keep_last(r.lines,
                  ChatLine{0, 0, "",
                           "missed messages " + std::to_string(r.next_seq) + ".." +
                               std::to_string(m.seq - 1),
                           ChatLine::Kind::Gap},
                  RoomView::kMaxLines);
    }
    r.next_seq = m.seq + 1;
    keep_last(r.lines, ChatLine{m.seq, m.server_time_us, m.from, m.text, ChatLine::Kind::Message},
              RoomView::kMaxLines);
}

// Every change to a room goes through here, so the version is bumped once per change.
RoomView& ClientSession::room(const std::string& name) {
    RoomView& r = rooms_[name];
    r.name = name;
    ++r.version;
    return r;
}

void ClientSession::disconnected() {
    const bool was_ready = state_ == ClientState::Ready;
    if (state_ != ClientState::Refused) state_ = ClientState::Disconnected;
    decoder_.reset();
    pings_.clear();
    for (auto& [name, r] : rooms_) {
        r.members.clear();
        r.board.clear();
        if (was_ready)
            keep_last(r.lines,
                      ChatLine{0, 0, "", "connection to the server lost", ChatLine::Kind::Event},
                      RoomView::kMaxLines);
        ++r.version;
    }
}

std::vector<Bytes> ClientSession::rejoin_frames() const {
    std::vector<Bytes> out;
    for (const auto& [name, r] : rooms_) out.push_back(join(name));
    return out;
}

std::string ClientSession::explain(ErrorCode code, const std::string& detail) {
    switch (code) {
        case ErrorCode::NickTaken:
            return "That nick is already in use; pick another.";
        case ErrorCode::NickInvalid:
            return "That nick is not allowed: 1 to 24 bytes, no spaces or control characters.";
        case ErrorCode::BadPassword:
            return "Wrong server password.";
        case ErrorCode::ServerFull:  // the detail names the limit (sessions, per address...)
            return detail.empty() ? "The server is full; try again later."
                                  : "The server is full: " + detail + ". Try again later.";
        case ErrorCode::VersionUnsupported:
            return "The server speaks another protocol version (" + detail + ").";
        case ErrorCode::Timeout:
            return "The server closed the connection: " + detail + ".";
        case ErrorCode::NoSuchUser:
            return "Nobody by that name is connected (" + detail + ").";
        case ErrorCode::NotInRoom:
            return "You are not in that room (" + detail + ").";
        case ErrorCode::TooLong:
            return "Too long for the server (" + detail + ").";
        case ErrorCode::RateLimited:  // a message over the rate, or HELLOs after wrong passwords
            if (detail.empty() || detail.rfind("slow down", 0) == 0)
                return "Slow down: the server dropped a message (rate limit).";
            return "Slow down: " + detail + ".";
        case ErrorCode::RoomInvalid:
            return "That room name is not allowed: 1 to 32 bytes, no spaces or control "
                   "characters.";
        default:
            return std::string(error_name(code)) + ": " + detail;
    }
}

}  // namespace chat
