#include "chat/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "chat/text_rules.hpp"
#include "netcore/engine_registry.hpp"

namespace chat {

using Clock = std::chrono::steady_clock;

struct ChatService::Session {
    netcore::ConnectionPtr conn;
    std::atomic<SessionState> state{SessionState::Handshake};
    std::string nick, nick_key;  // under mutex_
    std::vector<Room*> rooms;    // under mutex_, in join order
    std::atomic<Clock::rep> last_rx{Clock::now().time_since_epoch().count()};
    std::atomic<std::uint64_t> frames_in{0}, frames_out{0};
    // Touched only by the engine thread running on_data for this session:
    Bytes replies;       // ECHO and PONG answers, written once per batch of input
    double tokens = -1;  // -1: not started (a full burst)
    Clock::time_point refilled = Clock::now();
};

struct ChatService::Room {
    std::string name;
    std::vector<Session*> members;  // join order
    std::uint64_t next_seq = 1;
    struct Placed {
        Session* who;
        std::uint8_t x, y;
    };
    std::vector<Placed> board;  // in order of first move
};

namespace {
std::uint64_t now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}
}  // namespace

ChatService::ChatService(ServiceConfig config)
    : config_(std::move(config)), started_(Clock::now()) {
    timer_ = std::thread([this] { timer_loop(); });
}

ChatService::~ChatService() {
    {
        std::lock_guard lock(timer_mutex_);
        timer_stop_ = true;
    }
    timer_cv_.notify_all();
    timer_.join();
}

void ChatService::set_engine_name_source(std::function<std::string()> source) {
    std::lock_guard lock(mutex_);
    engine_name_ = std::move(source);
}

// ---------------------------------------------------------------- connection events

void ChatService::on_open(const netcore::ConnectionPtr& conn) {
    std::lock_guard lock(mutex_);
    if (shutting_down_) {  // a client reconnecting into the shutdown grace must not log in
        conn->send(encode(Bye{"server shutting down"}));
        conn->close();
        return;
    }
    if (sessions_.size() >= config_.max_sessions) {
        conn->send(
            encode(Error{ErrorCode::ServerFull, 0,
                         "server full (" + std::to_string(config_.max_sessions) + " sessions)"}));
        conn->close();
        return;
    }
    auto session = std::make_unique<Session>();
    session->conn = conn;
    conn->user_data = session.get();
    sessions_.emplace(conn->id(), std::move(session));
}

std::size_t ChatService::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    auto* s = static_cast<Session*>(conn.user_data);
    if (!s) return data.size();
    s->last_rx.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    std::size_t used = 0;
    while (data.size() - used >= kHeaderSize) {
        const FrameHeader h = read_header(data.data() + used);
        if (h.size < kHeaderSize || h.size > config_.max_frame) {
            // The stream is out of step: nothing after this can be trusted.
            if (!s->replies.empty()) conn.send(s->replies), s->replies.clear();
            send_error(*s, ErrorCode::BadFrame, h.type,
                       "frame size " + std::to_string(h.size) + " outside 4.." +
                           std::to_string(config_.max_frame));
            std::lock_guard lock(mutex_);
            begin_closing(*s);
            conn.close();
            return data.size();
        }
        if (data.size() - used < h.size) break;
        handle_frame(*s, h.type, data.subspan(used, h.size));
        used += h.size;
        if (!conn.is_open()) {
            used = data.size();
            break;
        }
    }
    if (!s->replies.empty()) {
        conn.send(s->replies);
        s->replies.clear();
    }
    return used;
}

void ChatService::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(conn.id());
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    spdlog::debug("session {} ({}) closed: {}", conn.id(), s.nick.empty() ? conn.peer() : s.nick,
                  netcore::to_string(reason));
    begin_closing(s);
    conn.user_data = nullptr;
    sessions_.erase(it);
}

std::string ChatService::refusal(std::string_view why) {
    const Bytes frame = encode(Error{ErrorCode::ServerFull, 0, "server full: " + std::string(why)});
    return std::string(reinterpret_cast<const char*>(frame.data()), frame.size());
}

// ---------------------------------------------------------------- frames

void ChatService::handle_frame(Session& s, std::uint16_t type, std::span<const std::byte> frame) {
    frames_in_.fetch_add(1, std::memory_order_relaxed);
    bytes_in_.fetch_add(frame.size(), std::memory_order_relaxed);
    s.frames_in.fetch_add(1, std::memory_order_relaxed);
    const auto body = frame.subspan(kHeaderSize);

    // The hot paths answer the sender only, without the service lock.
    if (type == static_cast<std::uint16_t>(MsgType::Echo)) {
        s.replies.insert(s.replies.end(), frame.begin(), frame.end());  // identical body
        s.frames_out.fetch_add(1, std::memory_order_relaxed);
        frames_out_.fetch_add(1, std::memory_order_relaxed);
        bytes_out_.fetch_add(frame.size(), std::memory_order_relaxed);
        return;
    }
    // Everything else is answered in order after what was batched so far.
    if (!s.replies.empty()) {
        s.conn->send(s.replies);
        s.replies.clear();
    }
    if (!is_client_type(type)) {
        send_error(s, ErrorCode::UnknownType, type,
                   type_name(type).empty()
                       ? "unknown message type"
                       : std::string(type_name(type)) + " is sent by servers only");
        return;
    }
    if (s.state.load() != SessionState::Active && !allowed_before_hello(type)) {
        send_error(s, ErrorCode::NotLoggedIn, type, "send HELLO first");
        return;
    }
    AnyMessage msg;
    if (const ErrorCode err = decode(type, body, msg); err != ErrorCode::None) {
        send_error(s, err, type, std::string(error_name(err)) + " " + std::string(type_name(type)));
        return;
    }
    handle_message(s, msg, type);
}

void ChatService::handle_message(Session& s, AnyMessage& msg, std::uint16_t type) {
    switch (static_cast<MsgType>(type)) {
        case MsgType::Ping:
            send_to(s, Pong{std::get<Ping>(msg).token});
            return;
        case MsgType::Pong:
            return;  // an answer to nothing we asked: ignored
        case MsgType::InfoReq:
            on_info(s);
            return;
        case MsgType::Hello:
            on_hello(s, std::get<Hello>(msg));
            return;
        case MsgType::Join:
            on_join(s, std::get<Join>(msg));
            return;
        case MsgType::Leave:
            on_leave(s, std::get<Leave>(msg));
            return;
        case MsgType::ListRooms:
            on_list_rooms(s);
            return;
        case MsgType::Say:
            on_say(s, std::get<Say>(msg));
            return;
        case MsgType::Whisper:
            on_whisper(s, std::get<Whisper>(msg));
            return;
        case MsgType::Move:
            on_move(s, std::get<Move>(msg));
            return;
        case MsgType::Bye: {
            std::lock_guard lock(mutex_);
            begin_closing(s);
            s.conn->close();  // what was queued still goes out first
            return;
        }
        default:
            return;  // is_client_type() let nothing else through
    }
}

void ChatService::on_hello(Session& s, Hello& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Hello);
    std::lock_guard lock(mutex_);
    if (s.state.load() == SessionState::Active)
        return send_error(s, ErrorCode::AlreadyLoggedIn, type, "already logged in as " + s.nick);
    if (m.version != kProtocolVersion)
        return send_error(s, ErrorCode::VersionUnsupported, type,
                          "this server speaks version 1, not " + std::to_string(m.version));
    if (!is_valid_nick(m.nick))
        return send_error(s, ErrorCode::NickInvalid, type,
                          "a nick is 1..24 bytes with no spaces or control characters");
    if (!config_.password.empty() && m.password != config_.password)
        return send_error(s, ErrorCode::BadPassword, type, "wrong server password");
    std::string key = fold_nick(m.nick);
    if (nicks_.count(key)) return send_error(s, ErrorCode::NickTaken, type, m.nick + " is taken");
    s.nick = std::move(m.nick);
    s.nick_key = std::move(key);
    nicks_.emplace(s.nick_key, &s);
    s.state = SessionState::Active;  // Handshake -> Active
    send_to(s, Welcome{static_cast<std::uint32_t>(s.conn->id()), s.nick, config_.server_name,
                       engine_name_ ? engine_name_() : std::string()});
}

void ChatService::on_join(Session& s, const Join& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Join);
    if (!is_valid_room(m.room))
        return send_error(s, ErrorCode::RoomInvalid, type,
                          "a room name is 1..32 bytes with no spaces or control characters");
    std::lock_guard lock(mutex_);
    auto& slot = rooms_[m.room];
    if (!slot) {
        slot = std::make_unique<Room>();
        slot->name = m.room;
    }
    Room& room = *slot;
    const bool member = std::find(s.rooms.begin(), s.rooms.end(), &room) != s.rooms.end();
    if (!member) {
        room.members.push_back(&s);
        s.rooms.push_back(&room);
    }
    Joined joined{room.name, room.next_seq, {}};
    joined.members.reserve(room.members.size());
    for (Session* other : room.members) joined.members.push_back(other->nick);
    send_to(s, joined);
    if (member) return;
    const Bytes event = encode(RoomEvent{room.name, RoomEventKind::Joined, s.nick});
    for (Session* other : room.members)
        if (other != &s) send_frame(*other, event);
    if (!room.board.empty()) send_to(s, board_of(room));
}

void ChatService::on_leave(Session& s, const Leave& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Leave);
    if (!is_valid_room(m.room)) return send_error(s, ErrorCode::RoomInvalid, type, "bad room name");
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(m.room);
    if (it == rooms_.end() ||
        std::find(s.rooms.begin(), s.rooms.end(), it->second.get()) == s.rooms.end())
        return send_error(s, ErrorCode::NotInRoom, type, "not in " + m.room);
    leave_room(s, *it->second, true);
}

void ChatService::on_list_rooms(Session& s) {
    Rooms out;
    std::lock_guard lock(mutex_);
    for (auto& [name, room] : rooms_)
        out.rooms.push_back({name, static_cast<std::uint32_t>(room->members.size())});
    send_to(s, out);
}

void ChatService::on_say(Session& s, Say& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Say);
    if (!rate_ok(s))
        return send_error(s, ErrorCode::RateLimited, type, "slow down: message dropped");
    if (!is_valid_room(m.room)) return send_error(s, ErrorCode::RoomInvalid, type, "bad room name");
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(m.room);
    if (it == rooms_.end() ||
        std::find(s.rooms.begin(), s.rooms.end(), it->second.get()) == s.rooms.end())
        return send_error(s, ErrorCode::NotInRoom, type, "not in " + m.room);
    Room& room = *it->second;
    broadcast(room, Message{room.name, room.next_seq++, now_us(), s.nick, std::move(m.text)});
}

void ChatService::on_whisper(Session& s, Whisper& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Whisper);
    if (!rate_ok(s))
        return send_error(s, ErrorCode::RateLimited, type, "slow down: message dropped");
    std::lock_guard lock(mutex_);
    auto it = nicks_.find(fold_nick(m.to));
    if (!is_valid_nick(m.to) || it == nicks_.end())
        return send_error(s, ErrorCode::NoSuchUser, type, "no user " + m.to);
    Session& target = *it->second;
    const Bytes frame = encode(Whispered{s.nick, target.nick, std::move(m.text)});
    send_frame(target, frame);
    if (&target != &s) send_frame(s, frame);
}

void ChatService::on_move(Session& s, const Move& m) {
    const auto type = static_cast<std::uint16_t>(MsgType::Move);
    if (!rate_ok(s)) return send_error(s, ErrorCode::RateLimited, type, "slow down: move dropped");
    if (!is_valid_room(m.room)) return send_error(s, ErrorCode::RoomInvalid, type, "bad room name");
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(m.room);
    if (it == rooms_.end() ||
        std::find(s.rooms.begin(), s.rooms.end(), it->second.get()) == s.rooms.end())
        return send_error(s, ErrorCode::NotInRoom, type, "not in " + m.room);
    Room& room = *it->second;
    auto piece = std::find_if(room.board.begin(), room.board.end(),
                              [&](const Room::Placed& p) { return p.who == &s; });
    if (piece == room.board.end()) {
        room.board.push_back({&s, m.x, m.y});
    } else {
        piece->x = m.x;
        piece->y = m.y;
    }
    broadcast(room, board_of(room));
}

void ChatService::on_info(Session& s) {
    const ServiceTotals t = totals();
    std::string engine;
    {
        std::lock_guard lock(mutex_);
        engine = engine_name_ ? engine_name_() : std::string();
    }
    send_to(s, Info{engine, netcore::platform_name(), t.sessions, t.rooms, t.uptime_ms, t.frames_in,
                    t.frames_out, t.bytes_in, t.bytes_out});
}

// ---------------------------------------------------------------- transitions (mutex_ held)

void ChatService::begin_closing(Session& s) {
    if (s.state.load() == SessionState::Closing) return;
    while (!s.rooms.empty()) leave_room(s, *s.rooms.back(), false);
    if (!s.nick_key.empty()) nicks_.erase(s.nick_key);
    s.state = SessionState::Closing;  // Handshake/Active -> Closing
}

void ChatService::leave_room(Session& s, Room& room, bool tell_leaver) {
    std::erase(s.rooms, &room);
    std::erase(room.members, &s);
    const bool had_piece =
        std::erase_if(room.board, [&](const Room::Placed& p) { return p.who == &s; }) > 0;
    if (tell_leaver) send_to(s, Left{room.name});
    if (room.members.empty()) {
        rooms_.erase(room.name);  // destroys `room`
        return;
    }
    broadcast(room, RoomEvent{room.name, RoomEventKind::Left, s.nick});
    if (had_piece) broadcast(room, board_of(room));
}

// ---------------------------------------------------------------- sending

void ChatService::send_frame(Session& s, std::span<const std::byte> frame) {
    if (!s.conn->send(frame)) return;  // closing, or over max_send_queue: the connection aborts
    s.frames_out.fetch_add(1, std::memory_order_relaxed);
    frames_out_.fetch_add(1, std::memory_order_relaxed);
    bytes_out_.fetch_add(frame.size(), std::memory_order_relaxed);
}

void ChatService::send_to(Session& s, const AnyMessage& msg) {
    send_frame(s, encode(msg));
}

void ChatService::send_error(Session& s, ErrorCode code, std::uint16_t in_reply_to,
                             std::string detail) {
    send_to(s, Error{code, in_reply_to, std::move(detail)});
}

void ChatService::broadcast(Room& room, const AnyMessage& msg) {
    const Bytes frame = encode(msg);
    for (Session* member : room.members) send_frame(*member, frame);
}

Board ChatService::board_of(const Room& room) const {
    Board b{room.name, {}};
    for (const auto& p : room.board) b.pieces.push_back({p.who->nick, p.x, p.y});
    return b;
}

bool ChatService::rate_ok(Session& s) {
    if (config_.rate_limit <= 0) return true;
    const auto now = Clock::now();
    const double burst = std::max(1.0, config_.rate_limit);
    if (s.tokens < 0) s.tokens = burst, s.refilled = now;
    s.tokens =
        std::min(burst, s.tokens + config_.rate_limit *
                                       std::chrono::duration<double>(now - s.refilled).count());
    s.refilled = now;
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    return true;
}

// ---------------------------------------------------------------- operator actions

bool ChatService::kick(const std::string& nick, const std::string& reason) {
    std::lock_guard lock(mutex_);
    auto it = nicks_.find(fold_nick(nick));
    if (it == nicks_.end()) return false;
    Session& s = *it->second;
    send_to(s, Bye{reason.empty() ? "kicked by the operator" : "kicked: " + reason});
    begin_closing(s);
    s.conn->close();
    return true;
}

void ChatService::notice(const std::string& text) {
    const Bytes frame = encode(Notice{text});
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_)
        if (s->state.load() == SessionState::Active) send_frame(*s, frame);
}

void ChatService::shutdown(const std::string& reason) {
    const Bytes frame = encode(Bye{reason});
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    // Everyone leaves at once: no ROOM_EVENT storm (n^2 frames in a big room), just BYE.
    rooms_.clear();
    nicks_.clear();
    for (auto& [id, s] : sessions_) {
        s->rooms.clear();
        if (s->state.load() == SessionState::Closing) continue;
        send_frame(*s, frame);
        s->state = SessionState::Closing;  // Handshake/Active -> Closing
        s->conn->close();
    }
}

// ---------------------------------------------------------------- snapshots

std::vector<SessionInfo> ChatService::sessions() const {
    std::lock_guard lock(mutex_);
    std::vector<SessionInfo> out;
    out.reserve(sessions_.size());
    const auto now = Clock::now();
    for (auto& [id, s] : sessions_) {
        SessionInfo info;
        info.id = id;
        info.nick = s->nick;
        info.peer = s->conn->peer();
        info.state = s->state.load();
        for (Room* r : s->rooms) info.rooms.push_back(r->name);
        info.connected_for = now - s->conn->opened_at();
        info.frames_in = s->frames_in.load();
        info.frames_out = s->frames_out.load();
        info.bytes_in = s->conn->bytes_in();
        info.bytes_out = s->conn->bytes_out();
        info.send_queue = s->conn->queued_bytes();
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<RoomInfo> ChatService::rooms() const {
    std::lock_guard lock(mutex_);
    std::vector<RoomInfo> out;
    for (auto& [name, room] : rooms_) {
        RoomInfo info{name, {}, room->next_seq, board_of(*room).pieces};
        for (Session* m : room->members) info.members.push_back(m->nick);
        out.push_back(std::move(info));
    }
    return out;
}

ServiceTotals ChatService::totals() const {
    ServiceTotals t;
    {
        std::lock_guard lock(mutex_);
        t.sessions = static_cast<std::uint32_t>(sessions_.size());
        t.rooms = static_cast<std::uint32_t>(rooms_.size());
    }
    t.frames_in = frames_in_.load();
    t.frames_out = frames_out_.load();
    t.bytes_in = bytes_in_.load();
    t.bytes_out = bytes_out_.load();
    t.uptime_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
    return t;
}

// ---------------------------------------------------------------- timeouts

void ChatService::timer_loop() {
    const auto shortest = std::min(config_.handshake_timeout, config_.idle_timeout);
    const auto period = std::clamp<std::chrono::milliseconds>(
        shortest / 10, std::chrono::milliseconds(20), std::chrono::milliseconds(500));
    std::unique_lock lock(timer_mutex_);
    while (!timer_stop_) {
        timer_cv_.wait_for(lock, period);
        if (!timer_stop_) expire_sessions();
    }
}

void ChatService::expire_sessions() {
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    for (auto& [id, s] : sessions_) {
        const SessionState state = s->state.load();
        const bool expired =
            (state == SessionState::Handshake &&
             now - s->conn->opened_at() > config_.handshake_timeout) ||
            (state == SessionState::Active &&
             now - Clock::time_point(Clock::duration(s->last_rx.load())) > config_.idle_timeout);
        if (!expired) continue;
        send_error(*s, ErrorCode::Timeout, 0,
                   state == SessionState::Handshake ? "no HELLO in time" : "idle for too long");
        begin_closing(*s);
        s->conn->close();
    }
}

}  // namespace chat
