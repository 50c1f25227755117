// One handler per client message, chosen with std::visit over the decoded message; the checks
// several of them share (logged in and still active, member of the room, within the rate) are
// written once below.
#include <spdlog/spdlog.h>

#include <optional>

#include "chat/text_rules.hpp"
#include "chat/unicode_nfc.hpp"
#include "netcore/engine_registry.hpp"
#include "service_core.hpp"

namespace chat::detail {
namespace {

// Handshake -> Active: WELCOME (the session's lock held).
void welcome(ServiceCore& core, Session& s) {
    s.mutex.assert_held();
    s.state.store(SessionState::Active, std::memory_order_release);  // Handshake -> Active
    core.sessions.handshake_finished();
    spdlog::info("login {} session {} nick {}", s.address, s.conn->id(), s.nick);
    send_message(s,
                 Welcome{static_cast<std::uint32_t>(s.conn->id()), s.nick, core.server_name(),
                         core.engine_name()},
                 core.traffic);
}

class Handler {
  public:
    Handler(ServiceCore& core, Session& s) : core_(core), s_(s) {}

    void operator()(Hello& m);
    void operator()(Join& m) { enter(std::move(m.room), MsgType::Join, std::nullopt); }
    void operator()(Resume& m) {
        enter(std::move(m.room), MsgType::Resume,
              ResumeFrom{m.epoch, m.after_seq, m.max_replay, std::nullopt});
    }
    void operator()(Leave& m);
    void operator()(ListRooms&);
    void operator()(Say& m);
    void operator()(Whisper& m);
    void operator()(Move& m);
    void operator()(InfoReq&);
    void operator()(Bye&);
    void operator()(Pong&) {}  // an answer to nothing we asked: ignored
    // ECHO and PING are answered before decoding (frames.cpp); server-only messages were
    // turned away by is_client_type(). Neither gets here.
    template <class ServerOnly>
    void operator()(ServerOnly&) {}

  private:
    // JOIN, or RESUME with its request: into the room (or, when already in it, JOINED or
    // RESUMED again).
    void enter(std::string room, MsgType type, std::optional<ResumeFrom> resume);
    // The session's lock, while the session is still Active (a kick or a timeout may have
    // ended it since its frame was read); nothing when it is not.
    std::optional<Lock> lock_active();
    // For SAY, MOVE and LEAVE: the session's lock and the named room, when the name is valid
    // and the session is in that room; otherwise answers room_invalid / not_in_room.
    struct Membership {
        Lock lock;
        RoomPtr room;
    };
    std::optional<Membership> membership(const std::string& name, MsgType type);
    RoomPtr joined(const std::string& room) const;  // the session's lock held
    // For SAY, WHISPER and MOVE: false, after ERROR rate_limited, when over --rate-limit.
    bool within_rate(MsgType type);
    // Publishes a change to a room the session is in; answers `unavailable` if it cannot be.
    void publish(Room& room, RoomChange change, MsgType type);
    bool password_ok(const std::string& attempt);  // the session's lock held
    void error(ErrorCode code, MsgType type, std::string detail) {
        send_error(s_, code, type, std::move(detail), core_.traffic);
    }
    // A HELLO turned away: logged (never with the password), then answered.
    void refuse_login(ErrorCode code, std::string detail) {
        spdlog::info("login refused {} session {} ({}): {}", s_.address, s_.conn->id(),
                     error_name(code), detail);
        error(code, MsgType::Hello, std::move(detail));
    }

    ServiceCore& core_;
    Session& s_;
};

std::optional<Lock> Handler::lock_active() {
    Lock lock(s_.mutex);
    if (!s_.is_active()) return std::nullopt;
    return lock;
}

RoomPtr Handler::joined(const std::string& room) const {
    s_.mutex.assert_held();
    for (const RoomPtr& r : s_.rooms)
        if (r->name() == room) return r;
    return nullptr;
}

std::optional<Handler::Membership> Handler::membership(const std::string& name, MsgType type) {
    const std::string room = to_nfc(name);
    if (!is_valid_room(room)) {
        error(ErrorCode::RoomInvalid, type, "bad room name");
        return std::nullopt;
    }
    auto lock = lock_active();
    if (!lock) return std::nullopt;
    RoomPtr r = joined(room);
    if (!r) {
        error(ErrorCode::NotInRoom, type, "not in " + room);
        return std::nullopt;
    }
    return Membership{std::move(*lock), std::move(r)};
}

bool Handler::within_rate(MsgType type) {
    if (s_.rate.take(core_.rate_limit.load(std::memory_order_relaxed), Clock::now())) return true;
    error(ErrorCode::RateLimited, type,
          type == MsgType::Move ? "slow down: move dropped" : "slow down: message dropped");
    return false;
}

void Handler::publish(Room& room, RoomChange change, MsgType type) {
    if (core_.order->publish(room, std::move(change), &s_) == Published::Unavailable)
        error(ErrorCode::Unavailable, type, "the cluster cannot be reached; try again");
}

// ---------------------------------------------------------------- login

void Handler::operator()(Hello& m) {
    const auto type = MsgType::Hello;
    const Lock lock(s_.mutex);
    const SessionState state = s_.state.load(std::memory_order_acquire);
    if (state == SessionState::Closing) return;
    if (state == SessionState::Active)
        return error(ErrorCode::AlreadyLoggedIn, type, "already logged in as " + s_.nick);
    if (m.version != kProtocolVersion)
        return refuse_login(ErrorCode::VersionUnsupported,
                            "this server speaks version 1, not " + std::to_string(m.version));
    m.nick = to_nfc(m.nick);  // revision 2: the rules apply to the NFC form
    if (!is_valid_nick(m.nick))
        return refuse_login(ErrorCode::NickInvalid,
                            "a nick is 1..24 bytes with no spaces or control characters");
    if (!password_ok(m.password)) return;
    // Written before the nick is claimed: whoever finds the session in the registry reads it.
    s_.nick = std::move(m.nick);
    s_.nick_key = fold_nick(s_.nick);
    if (!core_.nicks.claim(s_.nick_key, s_.shared_from_this())) {
        const std::string taken = std::move(s_.nick);
        s_.nick.clear();
        s_.nick_key.clear();
        return refuse_login(ErrorCode::NickTaken, taken + " is taken");
    }
    if (core_.cluster) {
        // Cluster-wide too: the answer comes on the link thread (finish_login); the frames
        // behind this HELLO wait for it.
        s_.input_mutex.assert_held();
        s_.login_pending = true;
        core_.cluster->claim_nick(
            s_.nick_key, s_.nick,
            [&core = core_, weak = s_.weak_from_this()](ClaimOutcome outcome) {
                if (const SessionPtr s = weak.lock()) core.finish_login(*s, outcome);
            });
        return;
    }
    welcome(core_, s_);
}

bool Handler::password_ok(const std::string& attempt) {
    s_.mutex.assert_held();
    PasswordGuard& guard = core_.passwords;
    if (!guard.required()) return true;
    const auto now = Clock::now();
    if (const auto left = guard.paused_for(s_.address, now); left > Clock::duration::zero()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        refuse_login(ErrorCode::RateLimited, "too many wrong passwords from " + s_.address +
                                                 ": try again in " + std::to_string(ms) + " ms");
        return false;
    }
    if (guard.matches(attempt)) {
        guard.succeeded(s_.address);
        return true;
    }
    const PasswordGuard::Failure failure = guard.failed(s_.address, now);
    core_.refused.bad_password.fetch_add(1, std::memory_order_relaxed);
    const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(failure.delay);
    spdlog::warn("wrong password from {} (session {}, {} in a row): answered after {} ms",
                 s_.address, s_.conn->id(), failure.count, delay.count());
    Bytes answer;
    encode(answer, Error{ErrorCode::BadPassword, static_cast<std::uint16_t>(MsgType::Hello),
                         "wrong server password"});
    if (delay.count() == 0) {
        send_frame(s_, answer, core_.traffic);
    } else {
        // Held back by the timer thread, never by an engine thread's sleep.
        core_.timers.at(
            now + failure.delay,
            [held = s_.weak_from_this(), answer = std::move(answer), &traffic = core_.traffic] {
                if (const SessionPtr s = held.lock()) send_frame(*s, answer, traffic);
            });
    }
    return false;
}

// ---------------------------------------------------------------- rooms

void Handler::enter(std::string name, MsgType type, std::optional<ResumeFrom> resume) {
    name = to_nfc(name);  // revision 2: the rules apply to the NFC form
    if (!is_valid_room(name))
        return error(ErrorCode::RoomInvalid, type,
                     "a room name is 1..32 bytes with no spaces or control characters");
    const auto lock = lock_active();
    if (!lock) return;
    if (const RoomPtr room = joined(name)) {  // again: the answer again, no event
        const Lock room_lock = room->lock();
        if (room->answer_after_join(&s_, resume)) return;  // a cluster's join still on its way
        return resume ? room->reply_resumed(s_, *resume) : room->reply_joined(s_);
    }
    for (;;) {
        RoomPtr room = core_.rooms.open(name);
        switch (core_.order->publish(*room, Entered{s_.nick, resume}, &s_)) {
            case Published::Done:
                s_.rooms.push_back(std::move(room));
                return;
            case Published::RoomRetired:  // emptied meanwhile: open() now makes a new one
                continue;
            case Published::Unavailable:
                return error(ErrorCode::Unavailable, type,
                             "the cluster cannot be reached; try again");
        }
    }
}

void Handler::operator()(Leave& m) {
    const auto member = membership(m.room, MsgType::Leave);
    if (!member) return;
    if (core_.leave(s_, member->room, ExitCause::Asked) == Published::Unavailable)
        error(ErrorCode::Unavailable, MsgType::Leave, "the cluster cannot be reached; try again");
}

void Handler::operator()(ListRooms&) {
    if (core_.cluster) {
        return core_.cluster->list_rooms([&core = core_, weak = s_.weak_from_this()](
                                             std::optional<std::vector<RoomSummary>> rooms) {
            const SessionPtr s = weak.lock();
            if (!s) return;
            if (!rooms)
                return send_error(*s, ErrorCode::Unavailable, MsgType::ListRooms,
                                  "the cluster cannot be reached; try again", core.traffic);
            send_message(*s, Rooms{std::move(*rooms)}, core.traffic);
        });
    }
    Rooms out;
    for (const RoomPtr& room : core_.rooms.all()) {
        const Lock lock = room->lock();
        if (!room->retired())
            out.rooms.push_back({room->name(), static_cast<std::uint32_t>(room->member_count())});
    }
    send_message(s_, out, core_.traffic);
}

void Handler::operator()(Say& m) {
    if (!within_rate(MsgType::Say)) return;
    const auto member = membership(m.room, MsgType::Say);
    if (!member) return;
    spdlog::trace("say session {} nick {} room {}: {}", s_.conn->id(), s_.nick, m.room, m.text);
    publish(*member->room, Said{s_.nick, std::move(m.text)}, MsgType::Say);
}

void Handler::operator()(Move& m) {
    if (!within_rate(MsgType::Move)) return;
    const auto member = membership(m.room, MsgType::Move);
    if (!member) return;
    publish(*member->room, Moved{s_.nick, m.x, m.y}, MsgType::Move);
}

// ---------------------------------------------------------------- the rest

void Handler::operator()(Whisper& m) {
    if (!within_rate(MsgType::Whisper)) return;
    const std::string to = to_nfc(m.to);
    const SessionPtr target = is_valid_nick(to) ? core_.nicks.find(fold_nick(to)) : nullptr;
    if (!target && core_.cluster && is_valid_nick(to)) {
        // Maybe on another node: the receipt once Redis has passed it on.
        return core_.cluster->whisper(
            s_.nick, fold_nick(to), m.text,
            [&core = core_, weak = s_.weak_from_this(), to = m.to, text = m.text](
                std::optional<NickHolder> holder, bool unavailable) {
                const SessionPtr s = weak.lock();
                if (!s) return;
                if (unavailable)
                    return send_error(*s, ErrorCode::Unavailable, MsgType::Whisper,
                                      "the cluster cannot be reached; try again", core.traffic);
                if (!holder)
                    return send_error(*s, ErrorCode::NoSuchUser, MsgType::Whisper, "no user " + to,
                                      core.traffic);
                send_message(*s, Whispered{s->nick, holder->nick, text}, core.traffic);
            });
    }
    if (!target) return error(ErrorCode::NoSuchUser, MsgType::Whisper, "no user " + m.to);
    spdlog::trace("whisper session {} nick {} to {}: {}", s_.conn->id(), s_.nick, target->nick,
                  m.text);
    Bytes frame;
    encode(frame, Whispered{s_.nick, target->nick, std::move(m.text)});
    send_frame(*target, frame, core_.traffic);
    if (target.get() != &s_) send_frame(s_, frame, core_.traffic);
}

void Handler::operator()(InfoReq&) {
    ServiceTotals t = core_.totals();
    if (core_.cluster) {  // the cluster's counts, as of the last heartbeat
        const ClusterStatus c = core_.cluster->status();
        if (c.sessions > 0 || c.up) t.sessions = std::max(c.sessions, t.sessions);
        if (c.up) t.rooms = c.rooms;
    }
    send_message(s_,
                 Info{core_.engine_name(), netcore::platform_name(), t.sessions, t.rooms,
                      t.uptime_ms, t.frames_in, t.frames_out, t.bytes_in, t.bytes_out},
                 core_.traffic);
}

void Handler::operator()(Bye&) {
    const Lock lock(s_.mutex);
    core_.end_session(s_, nullptr);
}

}  // namespace

void ServiceCore::finish_login(Session& s, ClaimOutcome outcome) {
    {
        const Lock lock(s.mutex);
        if (s.state.load(std::memory_order_acquire) != SessionState::Handshake) {
            // Closed meanwhile: its release may have run before this claim.
            if (outcome == ClaimOutcome::Claimed) cluster->release_nick(s.nick_key, s.nick);
        } else if (outcome == ClaimOutcome::Claimed) {
            welcome(*this, s);
        } else {
            nicks.release(s.nick_key, &s);
            const std::string nick = std::move(s.nick);
            s.nick.clear();
            s.nick_key.clear();
            const bool taken = outcome == ClaimOutcome::Taken;
            spdlog::info("login refused {} session {} ({}): {}", s.address, s.conn->id(),
                         taken ? "nick_taken" : "unavailable",
                         taken ? nick + " is taken on another server" : "Redis unreachable");
            send_error(s, taken ? ErrorCode::NickTaken : ErrorCode::Unavailable, MsgType::Hello,
                       taken ? nick + " is taken" : "the cluster cannot be reached; try again",
                       traffic);
        }
    }
    release_held_input(s);
}

void dispatch(ServiceCore& core, Session& s, AnyMessage& msg) {
    std::visit(Handler(core, s), msg);
}

}  // namespace chat::detail
