// Where a room's history is kept (docs/protocol.md, "History and resume"): its latest messages
// under an epoch, a non-zero number naming one unbroken run of the room's seq.
//
// Every call names the room and is complete in itself: a store keeps no pointer to a Room and
// relies on no lock of the caller's, so one store can be shared by every room and thread here,
// and a cluster's store (issue 13, in Redis) can answer each call with one script. The order of
// a room (RoomOrder) appends under the room's lock, and a RESUME reads under the same lock, so
// the replay and the live traffic meet with no gap and no repeat. The calls are synchronous and
// cheap here; a remote store need not be read under the room lock: since read() takes the end
// of the range (before_seq) as an argument, a node can note the room's next seq as the resumer
// joins its delivery, queue the live frames from there, and read the replay up to that seq
// whenever the answer comes, then send RESUMED, the replay and the queued frames in that order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chat::detail {

struct StoredMessage {
    std::uint64_t seq = 0, time_us = 0;
    std::string from, text;
};

// Where a room's history stands.
struct HistoryPosition {
    std::uint64_t epoch = 0;     // never 0 once begun
    std::uint64_t next_seq = 1;  // the seq the room's next message gets
};

// What one room's history holds, for operators.
struct HistoryUsage {
    std::uint64_t messages = 0, bytes = 0;
};

// Every room's together, and what has been given up to the limits.
struct HistoryTotals {
    std::uint64_t rooms = 0, messages = 0, bytes = 0;
    std::uint64_t byte_limit = 0;          // --history-memory
    std::uint64_t per_room_limit = 0;      // --history
    std::uint64_t evicted_for_memory = 0;  // oldest messages of the largest rooms, ever
};

class HistoryStore {
  public:
    virtual ~HistoryStore() = default;

    // The room's history as it stands, or a new one (a fresh random epoch, seq from 1) when
    // the room has none: never kept, or given up whole to the memory limit.
    virtual HistoryPosition open(const std::string& room) = 0;
    // Records the room's next message, `msg.seq` being the seq open() or the last append left
    // off at. A store that had given the room up starts it again under `epoch`.
    virtual void append(const std::string& room, std::uint64_t epoch, StoredMessage msg) = 0;
    // The kept messages of `room` with after_seq < seq < before_seq, oldest first: the newest
    // `max` of them when there are more. Nothing when `epoch` is not the room's.
    virtual std::vector<StoredMessage> read(const std::string& room, std::uint64_t epoch,
                                            std::uint64_t after_seq, std::uint64_t before_seq,
                                            std::size_t max) const = 0;

    virtual HistoryUsage usage(const std::string& room) const = 0;
    virtual HistoryTotals totals() const = 0;
};

}  // namespace chat::detail
