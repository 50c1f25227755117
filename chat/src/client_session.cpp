#include "chat/client_session.hpp"

#include <algorithm>
#include <limits>

namespace chat {
namespace {
template <class T>
void keep_last(std::deque<T>& q, T item, std::size_t limit) {
    q.push_back(std::move(item));
    while (q.size() > limit) q.pop_front();
}

std::string count_of(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Between the replayed history and the live messages.
std::string divider_text(const RoomView& r) {
    return "above: " + count_of(r.replayed, "message", "messages") +
           (r.replay_fresh ? " from before you joined" : " replayed from the server's history") +
           "; live from here";
}

// The most a reconnect asks to have replayed: no more than a room keeps on screen.
constexpr std::uint16_t kMaxReplay = static_cast<std::uint16_t>(
    std::min<std::size_t>(RoomView::kMaxLines, std::numeric_limits<std::uint16_t>::max()));
}  // namespace

Bytes ClientSession::hello(const std::string& nick, const std::string& password) {
    state_ = ClientState::Handshake;
    refusal_.reset();
    broken_stream_.clear();
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
    if (decoder_.broken() && broken_stream_.empty()) {
        state_ = ClientState::Closed;
        broken_stream_ = "The server sent a frame of " + std::to_string(decoder_.broken()->size) +
                         " bytes (the protocol allows 4.." + std::to_string(kMaxFrame) +
                         "): its stream cannot be read any further.";
    }
    return out;
}

Bytes ClientSession::enter(const std::string& name) {
    const auto it = rooms_.find(name);
    const bool inside = it != rooms_.end() && !it->second.members.empty();
    if (!resume_supported_ || inside) return join(name);
    resumes_pending_.push_back(name);
    if (it == rooms_.end() || it->second.next_seq == 0) return resume(name, 0, 0, kScrollback);
    const RoomView& r = it->second;
    // seq known from a JOIN only: nothing to continue, so no replay; RESUMED is compared as a
    // JOINED would be, and brings the epoch for the next time.
    if (r.epoch == 0) return resume(name, 0, 0, 0);
    return resume(name, r.epoch, r.next_seq - 1, kMaxReplay);
}

std::vector<Bytes> ClientSession::take_outgoing() {
    std::vector<Bytes> out;
    out.swap(outgoing_);
    return out;
}

// An ERROR in reply to RESUME answers the oldest RESUME pending. unknown_type is a revision 1
// server: the room is entered with JOIN instead, and so is every room after it.
void ClientSession::on_resume_refused(const Error& e) {
    if (resumes_pending_.empty()) return;  // not ours to answer (a hostile server)
    const std::string name = resumes_pending_.front();
    resumes_pending_.pop_front();
    if (e.code != ErrorCode::UnknownType) return;  // room_invalid...: shown, as for JOIN
    resume_supported_ = false;
    outgoing_.push_back(join(name));
}

void ClientSession::apply(const AnyMessage& msg, Clock::time_point now) {
    if (auto* w = std::get_if<Welcome>(&msg)) {
        state_ = ClientState::Ready;
        nick_ = w->nick;
        server_name_ = w->server_name;
        engine_ = w->engine;
    } else if (auto* e = std::get_if<Error>(&msg)) {
        keep_last(errors_, *e, 50);
        if (e->in_reply_to == static_cast<std::uint16_t>(MsgType::Resume)) on_resume_refused(*e);
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
        add_gap(r, j.next_seq, "");
    } else if (r.next_seq != 0 && j.next_seq < r.next_seq) {
        // seq went back: a restarted server. What it heard before it went down is unknowable.
        add_line(
            r, ChatLine{0, 0, "",
                        "the server restarted: seq starts again at " + std::to_string(j.next_seq) +
                            " (messages said before the restart may be lost)",
                        ChatLine::Kind::Gap});
    }
    r.next_seq = j.next_seq;
    r.members = j.members;
    r.epoch = 0;  // JOINED names no history: a later RESUME cannot continue one
    r.live_seq = 0;
    r.divider_after = 0;
}

// RESUMED tells the whole story (docs/protocol.md, "History and resume"): the same epoch and
// next_seq right after the last one shown is no gap; a larger next_seq is that many messages
// gone for good; another epoch is a room that started over. The replayed MESSAGEs follow, and
// the divider goes after the last of them.
void ClientSession::on_resumed(const Resumed& m) {
    // Answers come in the order of the RESUMEs (the name may differ: the server puts it in
    // NFC).
    if (!resumes_pending_.empty()) resumes_pending_.pop_front();
    RoomView& r = room(m.room);
    const bool fresh = r.next_seq == 0;
    std::uint64_t next = m.next_seq;
    if (fresh) {
        // A room new to us: whatever is replayed is scrollback.
    } else if (r.epoch != 0 && m.epoch != r.epoch) {
        add_line(r, ChatLine{0, 0, "",
                             "the room started over (the server lost its history, a restart?): "
                             "seq starts again at " +
                                 std::to_string(m.next_seq),
                             ChatLine::Kind::Gap});
    } else if (r.epoch == 0) {
        // Known from a JOIN only (a revision 1 server before): compared as JOINED is.
        if (m.next_seq > r.next_seq)
            add_gap(r, m.next_seq, "");
        else if (m.next_seq < r.next_seq)
            add_line(r, ChatLine{0, 0, "",
                                 "the server restarted: seq starts again at " +
                                     std::to_string(m.next_seq) +
                                     " (messages said before the restart may be lost)",
                                 ChatLine::Kind::Gap});
    } else if (m.next_seq > r.next_seq) {
        add_gap(r, m.next_seq, " (older than the server's history)");
    } else {
        next = r.next_seq;  // a replay of what we have shown already is not shown twice
    }
    r.epoch = m.epoch;
    r.next_seq = next;
    r.live_seq = m.live_seq;
    r.members = m.members;
    r.divider_after = m.next_seq < m.live_seq ? m.live_seq - 1 : 0;
    r.replayed = m.live_seq - m.next_seq;
    r.replay_fresh = fresh;
}

void ClientSession::on_message(const Message& m) {
    RoomView& r = room(m.room);
    // Below the seq expected next: already shown (seq never goes back within one JOINED or
    // RESUMED, which reset next_seq), so not shown twice.
    if (r.next_seq == 0 || m.seq >= r.next_seq) {
        if (r.next_seq != 0 && m.seq > r.next_seq) add_gap(r, m.seq, "");
        r.next_seq = m.seq + 1;
        add_line(r, ChatLine{m.seq, m.server_time_us, m.from, m.text, ChatLine::Kind::Message});
    }
    if (r.divider_after != 0 && m.seq >= r.divider_after) {
        add_line(r, ChatLine{0, 0, "", divider_text(r), ChatLine::Kind::Divider});
        r.divider_after = 0;
    }
}

void ClientSession::add_line(RoomView& r, ChatLine line) {
    keep_last(r.lines, std::move(line), RoomView::kMaxLines);
}

// Messages next_seq..until-1 are lost for good: counted, and said with their number.
void ClientSession::add_gap(RoomView& r, std::uint64_t until, const std::string& why) {
    const std::uint64_t lost = until - r.next_seq;
    r.missed += lost;
    const std::string seqs = lost == 1
                                 ? std::to_string(r.next_seq)
                                 : std::to_string(r.next_seq) + ".." + std::to_string(until - 1);
    add_line(r, ChatLine{0, 0, "",
                         count_of(lost, "message", "messages") + " missed (seq " + seqs + ")" + why,
                         ChatLine::Kind::Gap});
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
    resumes_pending_.clear();
    resume_supported_ = true;  // the next server may be another one
    outgoing_.clear();
    for (auto& [name, r] : rooms_) {
        r.members.clear();
        r.board.clear();
        r.divider_after = 0;
        if (was_ready)
            keep_last(r.lines,
                      ChatLine{0, 0, "", "connection to the server lost", ChatLine::Kind::Event},
                      RoomView::kMaxLines);
        ++r.version;
    }
}

std::vector<Bytes> ClientSession::rejoin_frames() {
    std::vector<Bytes> out;
    std::vector<std::string> names;
    for (const auto& [name, r] : rooms_) names.push_back(name);
    for (const auto& name : names) out.push_back(enter(name));
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
            if (detail.find("speaks TLS") != std::string::npos)  // a plaintext try, a TLS port
                return "This port speaks TLS: connect with TLS (the TLS box, or --tls).";
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
