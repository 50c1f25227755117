// One room: its members, its board, its MESSAGE seq, and the delivery of its changes to the
// members on this node.
//
// Everything here is guarded by the room's own lock (rank Room), so rooms proceed in parallel
// on the multi-threaded engines while each room has exactly one order: changes are applied and
// their frames queued on every member's connection under that lock, so every member sees the
// room's frames in the same order, and a MESSAGE's seq is the order itself.
//
// Under the room lock only connections are written to; no session lock is taken (a session
// lock is taken before a room lock, never after).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chat/service.hpp"
#include "delivery.hpp"
#include "history_store.hpp"
#include "room_changes.hpp"
#include "session.hpp"

namespace chat::detail {

class Room : public std::enable_shared_from_this<Room> {
  public:
    // `history` is where the room's messages are kept (read here for a RESUME's replay; the
    // order appends to it).
    // `clustered`: the room's members live on several nodes, and this object only serves the
    // local ones; it is given up when none is left here (not when the room is empty).
    Room(std::string name, TrafficCounters& traffic, const HistoryStore& history,
         bool clustered = false);

    const std::string& name() const { return name_; }
    Lock lock() { return Lock(mutex_); }
    // Emptied and given up: a joiner must open a fresh room under the name. Readable without
    // the lock (the directory checks it under its own).
    bool retired() const { return retired_.load(std::memory_order_acquire); }

    // ---- with lock() held ----
    std::uint64_t next_seq() const;
    // The epoch of the room's history; 0 until the order has begun it (begin_history), which
    // it does before the room's first change.
    std::uint64_t epoch() const;
    void begin_history(const HistoryPosition& position);
    // Applies one change at its place in the room's order and sends what it means to this
    // node's members. `origin` is the local session the change came from (the joiner, the
    // leaver), or null when it came from elsewhere.
    void apply(const OrderedChange& ordered, Session* origin);
    // JOINED again, for a member that joins once more.
    void reply_joined(Session& member);
    // RESUMED and the replay again, for a member that resumes once more.
    void reply_resumed(Session& member, const ResumeFrom& request);
    std::size_t member_count() const;
    RoomInfo info() const;

    // ---- a cluster's order (with lock() held) ----
    // The room as it stood at a point of its order (a joiner's snapshot from Redis).
    void load_snapshot(const HistoryPosition& position, std::vector<std::string> members,
                       std::vector<Piece> board);
    // Sessions whose join or asked leave is on its way through the order: found again by the
    // token their change carries when it comes back.
    void expect_joiner(std::uint64_t token, Session* s) { joiners_.emplace_back(token, s); }
    void expect_leaver(std::uint64_t token, Session* s) { leavers_.emplace_back(token, s); }
    Session* take_joiner(std::uint64_t token) { return take(joiners_, token); }
    Session* take_leaver(std::uint64_t token) { return take(leavers_, token); }
    bool is_leaving(const Session* s) const {
        return std::any_of(leavers_.begin(), leavers_.end(),
                           [s](const auto& l) { return l.second == s; });
    }
    // A local session going away (a disconnect): out of delivery at once, whatever the order
    // says later. Retires the room when nobody is left here.
    void drop_local(Session* s);
    // A local member that must join again (its room started over): out of delivery until its
    // new join comes back in order, under `token`.
    void rejoin(Session* s, std::uint64_t token) {
        std::erase(local_, s);
        joiners_.emplace_back(token, s);
    }
    const std::vector<Session*>& local_members() const { return local_; }
    // A JOIN or RESUME again from a member whose first join is still on its way through the
    // order: answered right after it (until then the room here may not even be loaded). False
    // when `s` is not such a joiner.
    bool answer_after_join(Session* s, std::optional<ResumeFrom> resume);
    // Those answers, when the join failed instead: how many there were (each gets the error).
    std::size_t drop_answers_after_join(Session* s) {
        return std::erase_if(repeats_, [s](const auto& r) { return r.first == s; });
    }
    // The room's order skips to `seq` (the messages before it are gone from the cluster's
    // store before this node could deliver them): each local member is told the exact gap as
    // a RESUME is, with RESUMED (same epoch, next_seq `seq`, nothing replayed).
    void skip_to(std::uint64_t seq);
    void retire_if_unused();

  private:
    void apply_said(std::uint64_t seq, const Said& said);
    void apply_entered(const Entered& entered, Session* origin);
    void apply_exited(const Exited& exited, Session* origin);
    void apply_moved(const Moved& moved);
    void send_joined(Session& member);
    void send_resumed(Session& member, const ResumeFrom& request);
    void send_board(Session* only);  // to `only`, or to every local member when null
    void send_all(const AnyMessage& msg, const Session* except = nullptr);

    const std::string name_;
    TrafficCounters& traffic_;
    const HistoryStore& history_;
    mutable RankedMutex mutex_{LockRank::Room};
    std::vector<std::string> members_;  // every member's nick, in join order
    std::vector<Session*> local_;       // the members on this node: delivery targets
    std::vector<Piece> board_;          // in order of first move
    std::uint64_t next_seq_ = 1;
    std::uint64_t epoch_ = 0;
    std::atomic<bool> retired_{false};
    const bool clustered_;
    std::vector<std::pair<std::uint64_t, Session*>> joiners_, leavers_;    // clustered only
    std::vector<std::pair<Session*, std::optional<ResumeFrom>>> repeats_;  // answer_after_join
    static Session* take(std::vector<std::pair<std::uint64_t, Session*>>& list,
                         std::uint64_t token);
};

}  // namespace chat::detail
