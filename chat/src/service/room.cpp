#include "room.hpp"

#include <algorithm>
#include <type_traits>

namespace chat::detail {

Room::Room(std::string name, TrafficCounters& traffic, const HistoryStore& history, bool clustered)
    : name_(std::move(name)), traffic_(traffic), history_(history), clustered_(clustered) {}

void Room::load_snapshot(const HistoryPosition& position, std::vector<std::string> members,
                         std::vector<Piece> board) {
    mutex_.assert_held();
    epoch_ = position.epoch;
    next_seq_ = position.next_seq;
    members_ = std::move(members);
    board_ = std::move(board);
}

Session* Room::take(std::vector<std::pair<std::uint64_t, Session*>>& list, std::uint64_t token) {
    for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->first != token) continue;
        Session* s = it->second;
        list.erase(it);
        return s;
    }
    return nullptr;
}

void Room::drop_local(Session* s) {
    mutex_.assert_held();
    std::erase(local_, s);
    std::erase_if(joiners_, [s](const auto& j) { return j.second == s; });
    std::erase_if(leavers_, [s](const auto& l) { return l.second == s; });
    std::erase_if(repeats_, [s](const auto& r) { return r.first == s; });
    retire_if_unused();
}

bool Room::answer_after_join(Session* s, std::optional<ResumeFrom> resume) {
    mutex_.assert_held();
    const bool pending =
        std::any_of(joiners_.begin(), joiners_.end(), [s](const auto& j) { return j.second == s; });
    if (pending) repeats_.emplace_back(s, std::move(resume));
    return pending;
}

void Room::skip_to(std::uint64_t seq) {
    mutex_.assert_held();
    next_seq_ = seq;
    const ResumeFrom nothing{epoch_, 0, 0, std::vector<StoredMessage>{}};
    for (Session* member : local_) send_resumed(*member, nothing);
}

void Room::retire_if_unused() {
    mutex_.assert_held();
    if (clustered_ && local_.empty() && joiners_.empty() && leavers_.empty())
        retired_.store(true, std::memory_order_release);
}

std::uint64_t Room::next_seq() const {
    mutex_.assert_held();
    return next_seq_;
}

std::uint64_t Room::epoch() const {
    mutex_.assert_held();
    return epoch_;
}

void Room::begin_history(const HistoryPosition& position) {
    mutex_.assert_held();
    epoch_ = position.epoch;
    next_seq_ = position.next_seq;
}

std::size_t Room::member_count() const {
    mutex_.assert_held();
    return members_.size();
}

RoomInfo Room::info() const {
    mutex_.assert_held();
    const HistoryUsage kept = history_.usage(name_);
    return RoomInfo{name_, members_, next_seq_, board_, epoch_, kept.messages, kept.bytes};
}

void Room::apply(const OrderedChange& ordered, Session* origin) {
    mutex_.assert_held();
    std::visit(
        [&](const auto& change) {
            using T = std::decay_t<decltype(change)>;
            if constexpr (std::is_same_v<T, Said>)
                apply_said(ordered.seq, change);
            else if constexpr (std::is_same_v<T, Entered>)
                apply_entered(change, origin);
            else if constexpr (std::is_same_v<T, Exited>)
                apply_exited(change, origin);
            else
                apply_moved(change);
        },
        ordered.change);
}

void Room::apply_said(std::uint64_t seq, const Said& said) {
    next_seq_ = seq + 1;
    send_all(Message{name_, seq, said.time_us, said.from, said.text});
}

void Room::apply_entered(const Entered& entered, Session* origin) {
    members_.push_back(entered.nick);
    if (origin && entered.again) {  // in delivery all along: nothing to tell it
        if (std::find(local_.begin(), local_.end(), origin) == local_.end())
            local_.push_back(origin);
    } else if (origin) {
        local_.push_back(origin);
        if (entered.resume)
            send_resumed(*origin, *entered.resume);
        else
            send_joined(*origin);
        for (auto it = repeats_.begin(); it != repeats_.end();) {
            if (it->first != origin) {
                ++it;
                continue;
            }
            if (it->second)
                send_resumed(*origin, *it->second);
            else
                send_joined(*origin);
            it = repeats_.erase(it);
        }
    }
    send_all(RoomEvent{name_, RoomEventKind::Joined, entered.nick}, origin);
    if (origin && !entered.again && !board_.empty()) send_board(origin);
}

void Room::apply_exited(const Exited& exited, Session* origin) {
    std::erase(members_, exited.nick);
    if (!origin)
        std::erase_if(local_, [&](const Session* s) { return s->nick == exited.nick; });
    else if (!exited.stays)  // one that stays is still here: only the others are told
        std::erase(local_, origin);
    const bool had_piece =
        std::erase_if(board_, [&](const Piece& p) { return p.nick == exited.nick; }) > 0;
    if (origin && exited.cause == ExitCause::Asked) send_message(*origin, Left{name_}, traffic_);
    if (clustered_) {
        retire_if_unused();
    } else if (members_.empty()) {
        retired_.store(true, std::memory_order_release);
        return;
    }
    if (exited.cause == ExitCause::Shutdown) return;  // everyone here is leaving as well
    send_all(RoomEvent{name_, RoomEventKind::Left, exited.nick}, exited.stays ? origin : nullptr);
    if (had_piece) send_board(nullptr);
}

void Room::apply_moved(const Moved& moved) {
    const auto piece = std::find_if(board_.begin(), board_.end(),
                                    [&](const Piece& p) { return p.nick == moved.nick; });
    if (piece == board_.end()) {
        board_.push_back({moved.nick, moved.x, moved.y});
    } else {
        piece->x = moved.x;
        piece->y = moved.y;
    }
    send_board(nullptr);
}

void Room::reply_joined(Session& member) {
    mutex_.assert_held();
    send_joined(member);
}

void Room::reply_resumed(Session& member, const ResumeFrom& request) {
    mutex_.assert_held();
    send_resumed(member, request);
}

void Room::send_joined(Session& member) {
    send_message(member, Joined{name_, next_seq_, members_}, traffic_);
}

// Under the room's lock, so no message of the room comes between: the replay ends at
// next_seq_ - 1 and the live traffic that follows starts at next_seq_. One send, so the
// member's connection takes RESUMED and its replay whole or (past max_send_queue) not at all.
void Room::send_resumed(Session& member, const ResumeFrom& request) {
    // Another epoch's seq mean nothing here: as with none known, the latest messages.
    const std::uint64_t after = request.epoch == epoch_ ? request.after_seq : 0;
    const std::vector<StoredMessage> replay =
        request.replay ? *request.replay
                       : history_.read(name_, epoch_, after, next_seq_, request.max_replay);
    Bytes frames;
    encode(frames, Resumed{name_, epoch_, replay.empty() ? next_seq_ : replay.front().seq,
                           next_seq_, members_});
    for (const StoredMessage& m : replay)
        encode(frames, Message{name_, m.seq, m.time_us, m.from, m.text});
    send_frame(member, frames, traffic_, 1 + replay.size());
}

void Room::send_board(Session* only) {
    const Board board{name_, board_};
    if (only)
        send_message(*only, board, traffic_);
    else
        send_all(board);
}

void Room::send_all(const AnyMessage& msg, const Session* except) {
    Bytes frame;
    encode(frame, msg);
    send_to_all(local_, frame, traffic_, except);
}

}  // namespace chat::detail
