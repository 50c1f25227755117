// The history of a server that runs alone: in this process's memory, lost when it exits (the
// next process starts every room under a new epoch). Each room keeps its last `per_room`
// messages; all rooms together stay within `byte_limit`, the oldest messages of the largest
// rooms going first. A room whose history is given up whole is forgotten, epoch and all.
//
// Its lock (rank History) is a leaf, taken under a room's lock or alone.
#pragma once

#include <deque>
#include <random>
#include <set>
#include <unordered_map>

#include "history_store.hpp"
#include "thread_checks.hpp"

namespace chat::detail {

class MemoryHistoryStore final : public HistoryStore {
  public:
    MemoryHistoryStore(std::size_t per_room, std::uint64_t byte_limit);

    HistoryPosition open(const std::string& room) override;
    void append(const std::string& room, std::uint64_t epoch, StoredMessage msg) override;
    std::vector<StoredMessage> read(const std::string& room, std::uint64_t epoch,
                                    std::uint64_t after_seq, std::uint64_t before_seq,
                                    std::size_t max) const override;
    HistoryUsage usage(const std::string& room) const override;
    HistoryTotals totals() const override;

    // The room's history begun anew at `position`, with no messages (a copy of a history kept
    // elsewhere: see SharedHistory).
    void reset(const std::string& room, HistoryPosition position);
    // The room's history dropped whole.
    void forget(const std::string& room);

    // What one message and one room cost here, counted against byte_limit: the structures and
    // the strings' heap blocks (as glibc's malloc rounds them), so the limit tracks real memory.
    static std::uint64_t footprint(const StoredMessage& msg);
    static std::uint64_t footprint(const std::string& room_name);

  private:
    struct RoomHistory {
        HistoryPosition position;
        std::deque<StoredMessage> messages;  // consecutive seq, oldest first
        std::uint64_t bytes = 0;             // footprint of the room and its messages
    };
    using Rooms = std::unordered_map<std::string, RoomHistory>;

    RoomHistory& create(const std::string& room, std::uint64_t epoch, std::uint64_t next_seq);
    std::uint64_t new_epoch();
    void drop_oldest(Rooms::iterator it);
    void resize(Rooms::iterator it, std::uint64_t bytes);  // keeps by_size_ and total_ right
    void enforce_byte_limit();

    const std::size_t per_room_;
    const std::uint64_t byte_limit_;
    mutable RankedMutex mutex_{LockRank::History};
    Rooms rooms_;
    std::set<std::pair<std::uint64_t, std::string>> by_size_;  // (bytes, room): largest last
    std::uint64_t total_bytes_ = 0, total_messages_ = 0, evicted_ = 0;
    std::mt19937_64 random_;
};

}  // namespace chat::detail
