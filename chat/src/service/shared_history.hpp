// A cluster's room history (docs/cluster.md, "History"): kept in Redis, in each room's stream,
// which the Change script appends to in the same step as it gives a message its seq, so every
// node reads one history. A RESUME that joins is answered by that script, from the stream, at
// the joiner's place in the order. Everything else that reads a history does so under a room's
// lock, often on an engine thread, which may never wait for Redis: a RESUME of a room the
// session is in already, and the figures of /stats and server_gui. For those each node keeps a
// copy of the history of the rooms it serves: loaded from the stream by the room's first local
// join (the join's snapshot carries the room's kept messages), continued by the room's feed as
// it delivers each message in order, dropped when the last local member leaves.
//
// So the copy holds what the stream holds for RESUME (the last --history messages), and no
// room the node does not serve. Its lock is MemoryHistoryStore's (rank History, a leaf).
#pragma once

#include "memory_history.hpp"

namespace chat::detail {

class SharedHistory final : public HistoryStore {
  public:
    SharedHistory(std::size_t per_room, std::uint64_t byte_limit) : copy_(per_room, byte_limit) {}

    // ---- the cluster's feed (in the room's order, the room's lock held) ----
    // The room's history as the stream had it at a point of its order: its epoch, the seq its
    // next message gets, and the kept messages before it (oldest first).
    void load(const std::string& room, HistoryPosition position,
              const std::vector<StoredMessage>& messages);
    // The room is no longer served here.
    void forget(const std::string& room) { copy_.forget(room); }

    // ---- HistoryStore ----
    // The room's position as the copy has it (a cluster's order never opens a history here:
    // the script makes the epoch in Redis).
    HistoryPosition open(const std::string& room) override { return copy_.open(room); }
    void append(const std::string& room, std::uint64_t epoch, StoredMessage msg) override {
        copy_.append(room, epoch, std::move(msg));
    }
    std::vector<StoredMessage> read(const std::string& room, std::uint64_t epoch,
                                    std::uint64_t after_seq, std::uint64_t before_seq,
                                    std::size_t max) const override {
        return copy_.read(room, epoch, after_seq, before_seq, max);
    }
    HistoryUsage usage(const std::string& room) const override { return copy_.usage(room); }
    HistoryTotals totals() const override { return copy_.totals(); }

  private:
    MemoryHistoryStore copy_;
};

}  // namespace chat::detail
