#include "cluster_node.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <random>

#include "../service/service_core.hpp"
#include "chat/text_rules.hpp"

namespace chat::cluster {

using detail::ClaimOutcome;
using detail::Lock;
using detail::Published;
using detail::RoomPtr;
using detail::Session;
using detail::SessionPtr;

namespace {

constexpr auto kHeartbeatPeriod = std::chrono::milliseconds(2000);
constexpr auto kAliveTtl = std::chrono::milliseconds(20000);  // > a 10 s SIGSTOP, < 30 s
constexpr int kNickTtlSeconds = 60;  // a backstop: the reaper frees a dead node's nicks first

std::uint64_t now_us() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

std::string room_channel(const std::string& room) {
    return "nc:room:{" + room + "}";
}

// A new epoch: random, non-zero, below 2^53 (Lua keeps it as a string, JSON tools as a number).
std::uint64_t new_epoch() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    return (random() & ((std::uint64_t{1} << 53) - 1)) | 1;
}

std::string field(const std::string& text, std::size_t index) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < index; ++i) {
        start = text.find(kUnitSeparator, start);
        if (start == std::string::npos) return {};
        ++start;
    }
    const auto end = text.find(kUnitSeparator, start);
    return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The messages of a script's answer (newest first there), oldest first.
std::vector<detail::StoredMessage> messages_of(const RedisValue& events) {
    std::vector<detail::StoredMessage> out;
    for (std::size_t i = events.size(); i-- > 0;)
        if (const auto e = parse_event(events[i].str()))
            out.push_back({e->seq, e->time_us, e->a, e->b});
    return out;
}

}  // namespace

ClusterNode::ClusterNode(detail::ServiceCore& core, RedisAddress address)
    : core_(core),
      history_(dynamic_cast<detail::SharedHistory&>(*core.history)),
      address_(std::move(address)),
      stream_cap_(2 * core.config.history_per_room + 1000),
      link_(address_, RedisLink::Hooks{[this] { on_up(); },
                                       [this](const std::string& why) { on_down(why); }}) {}

ClusterNode::~ClusterNode() {
    stop();
}

void ClusterNode::start(const std::string& node) {
    if (started_) return;
    started_ = true;
    node_ = node;  // before the link thread starts: it reads it from then on
    link_.start("netchat-" + node_);
    link_.post([this] { link_.every(kHeartbeatPeriod, [this] { heartbeat(); }); });
    spdlog::info("cluster: node {} joining the cluster at {}", node_, address_.to_string());
}

void ClusterNode::stop() {
    if (!started_) return;
    started_ = false;
    // Whatever this node still holds is let go, so the others need not wait for its TTL; the
    // answer also proves every change sent before it has been run. At most 1 s.
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    link_.post([this, done] {
        if (!link_.up()) return done->set_value();
        scripts_.run(link_, Script::Retire,
                     {node_, std::to_string(now_us()), std::to_string(stream_cap_)},
                     [done](RedisResult) { done->set_value(); });
    });
    finished.wait_for(std::chrono::seconds(1));
    link_.stop();
}

// ---------------------------------------------------------------- publish (engine threads)

Published ClusterNode::publish(detail::Room& room, detail::RoomChange change, Session* origin) {
    const bool up = link_.available();
    const std::uint64_t token = next_token_.fetch_add(1, std::memory_order_relaxed);
    {
        const Lock lock = room.lock();
        if (room.retired()) return Published::RoomRetired;
        if (auto* exited = std::get_if<detail::Exited>(&change)) {
            if (exited->cause == detail::ExitCause::Asked) {
                if (!up) return Published::Unavailable;
                room.expect_leaver(token, origin);  // LEFT when its leave comes back in order
            } else if (origin) {
                room.drop_local(origin);  // going away whatever the cluster says
            }
        } else if (!up) {
            return Published::Unavailable;
        } else if (std::holds_alternative<detail::Entered>(change)) {
            room.expect_joiner(token, origin);
        }
    }
    // A disconnect while Redis is away is sent when it is back (reconcile_memberships).
    if (!up) return Published::Done;
    if (auto* said = std::get_if<detail::Said>(&change)) said->time_us = now_us();
    link_.post([this, room = room.shared_from_this(), change = std::move(change), token] {
        send_change(room, change, token);
    });
    return Published::Done;
}

// ---------------------------------------------------------------- changes (link thread)

ClusterNode::Feed* ClusterNode::feed_of(const RoomPtr& room) {
    const auto it = feeds_.find(room->name());
    return it == feeds_.end() || it->second.room != room ? nullptr : &it->second;
}

void ClusterNode::send_change(const RoomPtr& room, detail::RoomChange change, std::uint64_t token) {
    link_.assert_link_thread();
    Feed& feed = feeds_[room->name()];
    if (feed.room != room || feed.state == Feed::State::Idle) {
        // The first change of this Room object (a first local member): follow it from its
        // join's snapshot on. A Room given up before keeps nothing for the new one.
        feed = Feed{};
        feed.room = room;
        feed.state = Feed::State::Subscribing;
        subscribe_room(room->name());  // may answer at once (subscribed already)
    }
    if (feed.state == Feed::State::Subscribing) {
        feed.waiting.push_back(
            [this, room, change = std::move(change), token] { run_change(room, change, token); });
        return;
    }
    run_change(room, change, token);
}

void ClusterNode::subscribe_room(const std::string& name) {
    link_.subscriber().subscribe(
        room_channel(name),
        [this](const std::string& channel, const std::string& payload) {
            on_room_message(channel, payload);
        },
        [this, name](RedisResult r) {
            const auto it = feeds_.find(name);
            if (it == feeds_.end() || it->second.state != Feed::State::Subscribing) return;
            Feed& feed = it->second;
            if (!r.ok()) {  // the link is going down: on_up() resynchronises what is left
                spdlog::warn("cluster: cannot subscribe to room {}: {}", name, r.why());
                return;
            }
            // Subscribed first, then asked: nothing published from here on is missed.
            feed.state = feed.epoch == 0 ? Feed::State::Joining : Feed::State::Live;
            auto waiting = std::move(feed.waiting);
            feed.waiting.clear();
            if (feed.state == Feed::State::Live) resync(feed);
            for (auto& send : waiting) send();
        },
        RedisLink::kCallTimeout);
}

std::vector<std::string> ClusterNode::change_args_for(const std::string& room,
                                                      const detail::RoomChange& change,
                                                      std::uint64_t token, bool snapshot) const {
    const ChangeArgs c = change_args(change);
    std::uint64_t time = 0;
    if (const auto* said = std::get_if<detail::Said>(&change)) time = said->time_us;
    std::vector<std::string> args = {room,
                                     node_,
                                     std::string(1, c.kind),
                                     token_text(token),
                                     std::to_string(time ? time : now_us()),
                                     c.a,
                                     c.b,
                                     std::to_string(stream_cap_),
                                     std::to_string(new_epoch()),
                                     snapshot ? "1" : "0",
                                     "0",
                                     "0",
                                     "0",
                                     std::to_string(core_.config.history_per_room),
                                     ""};
    if (const auto* entered = std::get_if<detail::Entered>(&change)) {
        args[14] = fold_nick(entered->nick);  // the joiner must hold its nick
        if (entered->resume) {
            args[10] = std::to_string(entered->resume->epoch);
            args[11] = std::to_string(entered->resume->after_seq);
            args[12] = std::to_string(entered->resume->max_replay);
        }
    }
    return args;
}

void ClusterNode::run_change(const RoomPtr& room, const detail::RoomChange& change,
                             std::uint64_t token) {
    Feed* feed = feed_of(room);
    if (!feed) return;
    const char kind = change_args(change).kind;
    const bool snapshot = kind == 'E' && feed->state != Feed::State::Live;
    if (snapshot) ++feed->snapshots;
    if (const auto* entered = std::get_if<detail::Entered>(&change); entered && entered->resume) {
        feed->resumes[token] = *entered->resume;
        feed->awaiting.insert(token);
    }
    scripts_.run(link_, Script::Change, change_args_for(room->name(), change, token, snapshot),
                 [this, room, kind, token, snapshot](RedisResult r) {
                     change_answered(room, kind, token, snapshot, std::move(r));
                 });
}

// `refused` is Redis' own word (a change that does not apply: "nick", a joiner whose nick is
// another node's; "state", a leaver that is no member); otherwise the link failed.
void ClusterNode::change_failed(Feed& feed, char kind, std::uint64_t token, bool snapshot,
                                const std::string& refused) {
    if (snapshot) --feed.snapshots;
    feed.awaiting.erase(token);
    const bool resume = feed.resumes.erase(token) > 0;
    const bool again = feed.rejoins.erase(token) > 0;
    const RoomPtr room = feed.room;
    SessionPtr origin;
    std::size_t repeats = 0;  // JOINs/RESUMEs sent again behind the failed one
    if (kind == 'E' || kind == 'X') {
        const Lock lock = room->lock();
        Session* s = kind == 'E' ? room->take_joiner(token) : room->take_leaver(token);
        if (s) origin = s->shared_from_this();
        if (s && kind == 'E') repeats = room->drop_answers_after_join(s);
        if (origin && kind == 'X' && refused == "state") {
            // Not a member in Redis (taken out as its node was taken for dead): out here too.
            room->drop_local(s);
            send_message(*s, Left{room->name()}, core_.traffic);
            origin.reset();
        }
    }
    if (origin && again && refused.empty()) {
        // The link failed: still in delivery here, it joins again once the room is followed
        // again (after the resubscription).
        feed.waiting.push_back(
            [this, room, member = origin->weak_from_this()] { rejoin(room, member); });
        origin.reset();
    }
    if (origin) {
        // The session's lock, never under the room's: the room back to what the session asked
        // for failing, or the session ended when it can no longer be what it was.
        const Lock lock(origin->mutex);
        if (origin->is_active()) {
            const auto type = kind == 'X' ? MsgType::Leave
                              : resume    ? MsgType::Resume
                                          : MsgType::Join;
            const std::string& nick = origin->nick;
            if (again) {
                const AnyMessage bye = Bye{"this server was cut off from the cluster and " + nick +
                                           " was taken on another server meanwhile"};
                core_.end_session(*origin, &bye);
            } else if (kind == 'E') {
                std::erase(origin->rooms, room);
                for (std::size_t i = 0; i <= repeats; ++i) {
                    if (refused == "nick")
                        send_error(*origin, ErrorCode::NickTaken, type,
                                   nick + " is in use on another server", core_.traffic);
                    else
                        send_error(*origin, ErrorCode::Unavailable, type,
                                   "the cluster cannot be reached; try again", core_.traffic);
                }
            } else {
                // Still a member (and in delivery here all along): the session's room again.
                if (std::find(origin->rooms.begin(), origin->rooms.end(), room) ==
                    origin->rooms.end())
                    origin->rooms.push_back(room);
                send_error(*origin, ErrorCode::Unavailable, type,
                           "the cluster cannot be reached; try again", core_.traffic);
            }
        }
    }
    {
        const Lock lock = room->lock();
        room->retire_if_unused();
    }
    if (room->retired()) core_.rooms.forget(*room);
    if (feed.state == Feed::State::Joining && feed.snapshots == 0) feed.state = Feed::State::Idle;
    if (room->retired()) stop_following(feed);
    advance(feed);
}

void ClusterNode::change_answered(const RoomPtr& room, char kind, std::uint64_t token,
                                  bool snapshot, RedisResult result) {
    Feed* feed = feed_of(room);
    if (!feed) return;
    if (!result.ok() || result.value->size() < 9 || (*result.value)[0].str() != "ok") {
        std::string refused;
        if (!result.ok())
            spdlog::debug("cluster: change in {} failed: {}", room->name(), result.why());
        else if (result.value->size() >= 2 && (*result.value)[0].str() == "no")
            refused = (*result.value)[1].str();
        return change_failed(*feed, kind, token, snapshot, refused);
    }
    const RedisValue& v = *result.value;
    const std::uint64_t epoch = v[1].as_u64(), ord = v[2].as_u64();
    if (const auto it = feed->resumes.find(token); it != feed->resumes.end()) {
        it->second.replay = messages_of(v[6]);
        feed->awaiting.erase(token);
    }
    if (snapshot) --feed->snapshots;
    if (snapshot && feed->state == Feed::State::Joining) {
        // The room as it stood right after this join: its members by join order, its board by
        // first move. The joiner is taken out again, as its own event puts it in.
        std::vector<std::pair<std::uint64_t, std::string>> members;
        for (std::size_t i = 0; i + 1 < v[4].size(); i += 2)
            members.emplace_back(v[4][i + 1].as_u64(), v[4][i].str());
        std::sort(members.begin(), members.end());
        std::vector<std::pair<std::uint64_t, Piece>> pieces;
        for (std::size_t i = 0; i + 1 < v[5].size(); i += 2) {
            unsigned long long first = 0;
            unsigned x = 0, y = 0;
            std::sscanf(v[5][i + 1].str().c_str(), "%llu %u %u", &first, &x, &y);
            pieces.emplace_back(first, Piece{v[5][i].str(), static_cast<std::uint8_t>(x),
                                             static_cast<std::uint8_t>(y)});
        }
        std::sort(pieces.begin(), pieces.end(),
                  [](const auto& l, const auto& r) { return l.first < r.first; });
        std::vector<std::string> names;
        std::string joiner;
        for (auto& [join_ord, nick] : members) {
            if (join_ord == ord)
                joiner = nick;
            else
                names.push_back(std::move(nick));
        }
        std::vector<Piece> board;
        for (auto& [first, piece] : pieces) board.push_back(std::move(piece));
        {
            const Lock lock = room->lock();
            const detail::HistoryPosition position{epoch, v[7].as_u64() + 1};
            room->load_snapshot(position, std::move(names), std::move(board));
            history_.load(room->name(), position, messages_of(v[8]));
        }
        feed->epoch = epoch;
        feed->next_ord = ord;
        feed->state = Feed::State::Live;
        RoomEvent own;
        own.ord = ord;
        own.kind = 'E';
        own.token = token_text(token);
        own.a = joiner;
        apply(*feed, own);
    }
    advance(*feed);
}

// ---------------------------------------------------------------- delivery in order

void ClusterNode::on_room_message(const std::string& channel, const std::string& payload) {
    link_.assert_link_thread();
    const std::string prefix = "nc:room:{";
    if (channel.size() < prefix.size() + 1) return;
    const std::string name = channel.substr(prefix.size(), channel.size() - prefix.size() - 1);
    const auto it = feeds_.find(name);
    if (it == feeds_.end()) return;
    Feed& feed = it->second;
    auto published = parse_published(payload);
    if (!published || feed.state == Feed::State::Idle || feed.state == Feed::State::Subscribing)
        return;
    auto& [epoch, event] = *published;
    if (feed.state == Feed::State::Live && epoch != feed.epoch) {
        spdlog::warn("cluster: room {} has a new epoch (its history in Redis is gone)", name);
        return start_over(feed);
    }
    if (event.ord >= feed.next_ord || feed.state == Feed::State::Joining)
        feed.held.emplace(event.ord, std::move(event));
    advance(feed);
}

void ClusterNode::advance(Feed& feed) {
    while (feed.state == Feed::State::Live && !feed.held.empty()) {
        auto it = feed.held.begin();
        if (it->first < feed.next_ord) {  // a duplicate (the fill and the channel both had it)
            feed.held.erase(it);
            continue;
        }
        if (it->first > feed.next_ord) return fill(feed, it->first);
        if (it->second.kind == 'E' && feed.awaiting.count(own_token(it->second.token)))
            return;  // a resume of ours: its replay comes with the script's answer
        const RoomEvent event = std::move(it->second);
        feed.held.erase(it);
        apply(feed, event);
    }
}

void ClusterNode::fill(Feed& feed, std::uint64_t before_ord) {
    if (feed.filling) return;
    feed.filling = true;
    const std::uint64_t from = feed.next_ord;
    spdlog::debug("cluster: room {}: filling ord {}..{} from the stream", feed.room->name(), from,
                  before_ord - 1);
    link_.call({"XRANGE", "nc:room:{" + feed.room->name() + "}:log", std::to_string(from) + "-0",
                std::to_string(before_ord - 1) + "-0"},
               [this, room = feed.room, from, before_ord](RedisResult r) {
                   Feed* f = feed_of(room);
                   if (!f) return;
                   f->filling = false;
                   if (!r.ok()) return;  // the link is going: resync() when it is back
                   std::uint64_t first = before_ord;
                   for (const RedisValue& entry : r.value->elements) {
                       if (entry.size() < 2 || entry[1].size() < 2) continue;
                       auto e = parse_event(entry[1][1].str());
                       if (!e) continue;
                       first = std::min(first, e->ord);
                       if (e->ord >= f->next_ord) f->held.emplace(e->ord, std::move(*e));
                   }
                   if (f->next_ord == from && first > from) {
                       spdlog::warn("cluster: room {}: events {}..{} are gone from the stream",
                                    room->name(), from, first - 1);
                       f->next_ord = first;  // lost for good: apply() tells the members
                   }
                   advance(*f);
               });
}

void ClusterNode::apply(Feed& feed, const RoomEvent& event) {
    detail::OrderedChange change = event.to_change();
    const std::uint64_t mine = own_token(event.token);
    const RoomPtr room = feed.room;
    std::weak_ptr<Session> stays;
    {
        const Lock lock = room->lock();
        Session* origin = nullptr;
        if (mine && event.kind == 'E') {
            origin = room->take_joiner(mine);
            auto& entered = std::get<detail::Entered>(change.change);
            if (const auto it = feed.resumes.find(mine); it != feed.resumes.end()) {
                if (origin) entered.resume = std::move(it->second);
                feed.resumes.erase(it);
            }
            entered.again = feed.rejoins.erase(mine) > 0;
        } else if (mine && event.kind == 'X') {
            origin = room->take_leaver(mine);
        } else if (event.kind == 'X' && event.token.empty()) {
            // Not asked for by anyone here: the leave of a dead node's member (the reaper), or a
            // member Redis had twice. If that member is still connected here, this node was
            // taken for dead while it only stood still: the member stays, and joins again.
            if (Session* here = local_member(*room, event.a)) {
                origin = here;
                std::get<detail::Exited>(change.change).stays = true;
                stays = here->weak_from_this();
            }
        } else if (event.kind == 'S' && event.seq > room->next_seq()) {
            // Messages this node never got are gone from the stream: each member is told the
            // exact gap, as a RESUME would have told it.
            spdlog::warn("cluster: room {}: messages {}..{} are lost to this node's members",
                         room->name(), room->next_seq(), event.seq - 1);
            room->skip_to(event.seq);
        }
        room->apply(change, origin);
        if (event.kind == 'S')
            history_.append(room->name(), feed.epoch, {event.seq, event.time_us, event.a, event.b});
        room->retire_if_unused();
    }
    feed.next_ord = event.ord + 1;
    if (!stays.expired()) {
        spdlog::warn(
            "cluster: {} was taken out of {} (this node was taken for dead): joining again",
            event.a, room->name());
        rejoin(room, stays);
    }
    if (room->retired()) stop_following(feed);
}

// A member kept in delivery here (Exited::stays) joins the room again in the cluster.
void ClusterNode::rejoin(const RoomPtr& room, const std::weak_ptr<Session>& member) {
    const SessionPtr s = member.lock();
    Feed* feed = feed_of(room);
    if (!s || !feed) return;
    const std::uint64_t token = next_token_.fetch_add(1, std::memory_order_relaxed);
    {
        const Lock lock = room->lock();
        if (local_member(*room, s->nick) != s.get()) return;  // gone meanwhile
        room->expect_joiner(token, s.get());
    }
    feed->rejoins.insert(token);
    run_change(room, detail::Entered{s->nick, std::nullopt, true}, token);
}

// A live member of `room` on this node with that nick (the room's lock held), or null.
Session* ClusterNode::local_member(detail::Room& room, const std::string& nick) {
    for (Session* s : room.local_members())
        if (s->nick == nick && s->is_active()) return s;
    return nullptr;
}

void ClusterNode::stop_following(Feed& feed) {
    feed.state = Feed::State::Idle;
    feed.held.clear();
    history_.forget(feed.room->name());
}

// ---------------------------------------------------------------- Redis lost and back

void ClusterNode::on_down(const std::string&) {
    link_.assert_link_thread();
    // The answers lost with the connection have failed already (change_failed told their
    // sessions). What was being followed is subscribed again, and caught up, when Redis is back.
    for (auto& [name, feed] : feeds_) {
        feed.filling = false;
        feed.snapshots = 0;
        if (feed.state == Feed::State::Joining) feed.state = Feed::State::Idle;
        if (feed.state == Feed::State::Live) feed.state = Feed::State::Subscribing;
    }
}

void ClusterNode::on_up() {
    link_.assert_link_thread();
    scripts_.load(link_);
    const std::string own = "nc:node:{" + node_ + "}";
    last_probe_ = Clock::now();
    link_.subscriber().subscribe(
        own, [this](const std::string&, const std::string& p) { on_node_message(p); },
        [](RedisResult) {}, RedisLink::kCallTimeout);
    link_.subscriber().subscribe(
        "nc:notice", [this](const std::string&, const std::string& p) { on_notice(p); },
        [](RedisResult) {}, RedisLink::kCallTimeout);
    heartbeat();
    for (auto& [name, feed] : feeds_)
        if (feed.state == Feed::State::Subscribing && feed.room && !feed.room->retired())
            subscribe_room(name);
    reconcile_memberships();
}

// After a resubscription: where is the room now? The same epoch: catch up from the stream.
// Another (or none): the room started over.
void ClusterNode::resync(Feed& feed) {
    scripts_.run(link_, Script::Position, {feed.room->name()},
                 [this, room = feed.room](RedisResult r) {
                     Feed* f = feed_of(room);
                     if (!f || f->state != Feed::State::Live || !r.ok()) return;
                     const RedisValue& v = *r.value;
                     if (v.size() < 2 || v[0].as_u64() != f->epoch) return start_over(*f);
                     const std::uint64_t last = v[1].as_u64();
                     if (last >= f->next_ord) fill(*f, last + 1);
                 });
}

// The room's history is gone from Redis (restarted empty): every local member joins again,
// under the new epoch, and is told with RESUMED (a new epoch: the room started over).
void ClusterNode::start_over(Feed& feed) {
    std::vector<std::pair<SessionPtr, std::uint64_t>> rejoin;
    const std::uint64_t old_epoch = feed.epoch;
    std::uint64_t last_seq = 0;
    {
        const Lock lock = feed.room->lock();
        last_seq = feed.room->next_seq() - 1;
        const std::vector<Session*> local = feed.room->local_members();
        for (Session* s : local) {
            const std::uint64_t token = next_token_.fetch_add(1, std::memory_order_relaxed);
            feed.room->rejoin(s, token);
            rejoin.emplace_back(s->shared_from_this(), token);
        }
    }
    const RoomPtr room = feed.room;
    feed = Feed{};
    feed.room = room;
    feed.state = Feed::State::Joining;
    for (auto& [s, token] : rejoin)
        run_change(room, detail::Entered{s->nick, detail::ResumeFrom{old_epoch, last_seq, 0, {}}},
                   token);
}

// Memberships Redis holds for this node that no local session has any more (a disconnect
// while Redis was away): their leaves are sent now.
void ClusterNode::reconcile_memberships() {
    link_.call({"SMEMBERS", "nc:node:{" + node_ + "}:members"}, [this](RedisResult r) {
        if (!r.ok()) return;
        for (const RedisValue& entry : r.value->elements) {
            const std::string& text = entry.str();
            const auto at = text.find(kUnitSeparator);
            if (at == std::string::npos) continue;
            const std::string room = text.substr(0, at), nick = text.substr(at + 1);
            const SessionPtr s = core_.nicks.find(fold_nick(nick));
            bool here = false;
            if (s) {
                const Lock lock(s->mutex);
                for (const RoomPtr& joined : s->rooms) here = here || joined->name() == room;
            }
            if (here) continue;
            spdlog::info("cluster: {} left {} while Redis was away: telling the room", nick, room);
            scripts_.run(link_, Script::Change,
                         {room, node_, "X", "", std::to_string(now_us()), nick, "D",
                          std::to_string(stream_cap_), "1", "0", "0", "0", "0", "0", ""},
                         [](RedisResult) {});
        }
    });
}

void ClusterNode::heartbeat() {
    link_.assert_link_thread();
    if (!link_.up()) return;
    if (registered_ &&
        Clock::now() - last_probe_ > 3 * kHeartbeatPeriod + RedisLink::kCallTimeout) {
        // Our own probes stopped coming back: the subscription is dead although the socket is
        // not (cut off, or a proxy in between). Start again.
        return link_.reconnect("the subscription went silent");
    }
    const std::string now_ms =
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    scripts_.run(
        link_, Script::Heartbeat,
        {node_, std::to_string(core_.sessions.size()), now_ms, std::to_string(kAliveTtl.count()),
         std::to_string(kNickTtlSeconds), std::to_string(now_us()), std::to_string(stream_cap_)},
        [this](RedisResult r) {
            if (!r.ok() || r.value->size() < 4) return;
            const RedisValue& v = *r.value;
            if (v[3].as_integer() > 0)
                spdlog::info("cluster: reaped {} memberships of nodes that stopped", v[3].integer);
            if (v[0].as_integer() == 0 && registered_) {
                spdlog::warn(
                    "cluster: Redis forgot this node (restarted empty, or this node was "
                    "taken for dead): claiming its nicks again");
                reclaim_nicks();
            }
            registered_ = true;
            std::vector<ClusterNodeInfo> nodes;
            std::uint32_t sessions = 0;
            for (std::size_t i = 0; i + 1 < v[1].size(); i += 2) {
                ClusterNodeInfo n;
                n.name = v[1][i].str();
                unsigned long count = 0;
                unsigned long long ms = 0;
                std::sscanf(v[1][i + 1].str().c_str(), "%lu %llu", &count, &ms);
                n.sessions = static_cast<std::uint32_t>(count);
                n.last_heartbeat_ms = ms;
                n.self = n.name == node_;
                sessions += n.sessions;
                nodes.push_back(std::move(n));
            }
            std::sort(nodes.begin(), nodes.end(),
                      [](const auto& l, const auto& r) { return l.name < r.name; });
            std::lock_guard lock(status_mutex_);
            nodes_ = std::move(nodes);
            cluster_sessions_ = sessions;
            cluster_rooms_ = static_cast<std::uint32_t>(v[2].as_integer());
        });
}

void ClusterNode::reclaim_nicks() {
    for (const SessionPtr& s :
         core_.sessions.select([](const Session& s) { return s.is_active(); })) {
        scripts_.run(link_, Script::ClaimNick,
                     {node_, s->nick_key, s->nick, std::to_string(kNickTtlSeconds)},
                     [this, weak = std::weak_ptr<Session>(s)](RedisResult r) {
                         const SessionPtr held = weak.lock();
                         if (!held || !r.ok() || r.value->as_integer() == 1) return;
                         spdlog::warn("cluster: {} was taken on another node meanwhile",
                                      held->nick);
                         const Lock lock(held->mutex);
                         if (!held->is_active()) return;
                         const AnyMessage bye = Bye{"your nick was taken on another server"};
                         core_.end_session(*held, &bye);
                     });
    }
}

// ---------------------------------------------------------------- nicks, whispers, notices

void ClusterNode::claim_nick(const std::string& key, const std::string& nick,
                             std::function<void(ClaimOutcome)> done) {
    // Always answered on the link thread, never inside the caller (it holds the session's
    // lock, which the answer takes).
    link_.post([this, key, nick, done = std::move(done)]() mutable {
        scripts_.run(
            link_, Script::ClaimNick, {node_, key, nick, std::to_string(kNickTtlSeconds)},
            [done = std::move(done)](RedisResult r) {
                if (!r.ok()) return done(ClaimOutcome::Unavailable);
                done(r.value->as_integer() == 1 ? ClaimOutcome::Claimed : ClaimOutcome::Taken);
            });
    });
}

void ClusterNode::release_nick(const std::string& key, const std::string& nick) {
    link_.post([this, key, nick] {
        // Redis away: the nick's TTL, or reclaim/reconcile when it is back, sort it out.
        if (link_.up())
            scripts_.run(link_, Script::ReleaseNick, {node_, key, nick}, [](RedisResult) {});
    });
}

void ClusterNode::whisper(const std::string& from, const std::string& to_key,
                          const std::string& text,
                          std::function<void(std::optional<detail::NickHolder>, bool)> done) {
    const std::string payload =
        std::string("W") + kUnitSeparator + from + kUnitSeparator + to_key + kUnitSeparator + text;
    link_.post([this, to_key, payload, done = std::move(done)]() mutable {
        scripts_.run(
            link_, Script::ToNick, {to_key, payload}, [done = std::move(done)](RedisResult r) {
                if (!r.ok()) return done(std::nullopt, true);
                if (r.value->is_nil()) return done(std::nullopt, false);
                done(detail::NickHolder{field(r.value->str(), 0), field(r.value->str(), 1)}, false);
            });
    });
}

std::string ClusterNode::kick_remote(const std::string& key, const std::string& reason,
                                     std::chrono::milliseconds timeout) {
    if (!link_.available()) return {};
    auto answer = std::make_shared<std::promise<std::string>>();
    auto future = answer->get_future();
    const std::string payload = std::string("K") + kUnitSeparator + key + kUnitSeparator + reason;
    link_.post([this, key, payload, answer] {
        scripts_.run(link_, Script::ToNick, {key, payload}, [answer](RedisResult r) {
            answer->set_value(r.ok() && !r.value->is_nil() ? field(r.value->str(), 0) : "");
        });
    });
    if (future.wait_for(timeout) != std::future_status::ready) return {};
    return future.get();
}

void ClusterNode::notice(const std::string& text) {
    link_.post([this, text] {
        if (link_.up())
            link_.call({"PUBLISH", "nc:notice", node_ + kUnitSeparator + text}, [](RedisResult) {});
    });
}

void ClusterNode::on_notice(const std::string& payload) {
    const auto at = payload.find(kUnitSeparator);
    if (at == std::string::npos || payload.substr(0, at) == node_) return;  // ours: told already
    core_.notice_local(payload.substr(at + 1));
}

void ClusterNode::on_node_message(const std::string& payload) {
    if (payload == "P") {
        last_probe_ = Clock::now();
        return;
    }
    if (payload.size() < 2) return;
    if (payload[0] == 'W') {
        const std::string from = field(payload, 1), key = field(payload, 2);
        const auto text_at = payload.find(kUnitSeparator, payload.find(key, 2 + from.size()));
        const std::string text = payload.substr(text_at + 1);
        if (const SessionPtr target = core_.nicks.find(key)) {
            Bytes frame;
            encode(frame, Whispered{from, target->nick, text});
            send_frame(*target, frame, core_.traffic);
        }
    } else if (payload[0] == 'K') {
        const std::string key = field(payload, 1);
        const auto reason_at = payload.find(kUnitSeparator, 2);
        core_.kick_local(key, reason_at == std::string::npos ? "" : payload.substr(reason_at + 1));
    }
}

void ClusterNode::list_rooms(std::function<void(std::optional<std::vector<RoomSummary>>)> done) {
    link_.post([this, done = std::move(done)]() mutable {
        scripts_.run(link_, Script::ListRooms, {}, [done = std::move(done)](RedisResult r) {
            if (!r.ok()) return done(std::nullopt);
            std::vector<RoomSummary> rooms;
            for (std::size_t i = 0; i + 1 < r.value->size(); i += 2)
                rooms.push_back({(*r.value)[i].str(),
                                 static_cast<std::uint32_t>((*r.value)[i + 1].as_integer())});
            std::sort(rooms.begin(), rooms.end(),
                      [](const auto& l, const auto& r) { return l.room < r.room; });
            done(std::move(rooms));
        });
    });
}

ClusterStatus ClusterNode::status() const {
    const LinkStatus link = link_.status();
    ClusterStatus out;
    out.enabled = true;
    out.node = node_;
    out.redis = link.address;
    out.up = link.up;
    out.rtt_ms = link.rtt_ms;
    out.reconnects = link.reconnects;
    out.last_error = link.last_error;
    std::lock_guard lock(status_mutex_);
    out.nodes = nodes_;
    out.sessions = cluster_sessions_;
    out.rooms = cluster_rooms_;
    return out;
}

std::uint64_t ClusterNode::own_token(const std::string& token) const {
    if (token.size() <= node_.size() + 1 || token.compare(0, node_.size(), node_) != 0 ||
        token[node_.size()] != '/')
        return 0;
    return std::strtoull(token.c_str() + node_.size() + 1, nullptr, 10);
}

std::string ClusterNode::token_text(std::uint64_t token) const {
    return node_ + "/" + std::to_string(token);
}

}  // namespace chat::cluster

namespace chat::detail {

std::unique_ptr<Cluster> make_cluster(ServiceCore& core, const ServiceConfig& config) {
    std::string error;
    const auto address = parse_redis_url(config.cluster, error);
    if (!address) throw std::runtime_error("--cluster " + config.cluster + ": " + error);
    return std::make_unique<cluster::ClusterNode>(core, *address);
}

}  // namespace chat::detail
