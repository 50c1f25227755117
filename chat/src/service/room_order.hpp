// The seam where a room's order is decided: "publish a change to the room". What comes out of
// it is "deliver an ordered change to the local members" (Room::apply).
//
// Alone, this server decides the order itself, under the room's lock (LocalRoomOrder), and
// applies the change at once on the calling thread. A cluster (issue 13) decides it in Redis
// (one script increments the room's seq, appends to its stream and publishes), so publish()
// only sends the change, and its subscription thread calls Room::apply, under the room lock,
// for each change as it arrives in order (with the origin it kept for the changes this node
// published); what needs the cluster while it is unreachable is answered ERROR unavailable.
// Room history (issue 12) is recorded by the order as it gives a Said its seq (HistoryStore),
// and a RESUME's replay is read where its Entered is applied, under the room lock: there the
// replay meets the live traffic with no gap and no repeat.
#pragma once

#include "room.hpp"
#include "room_changes.hpp"

namespace chat::detail {

enum class Published {
    Done,         // in the room's order (applied already when the order is local)
    RoomRetired,  // the room was emptied and given up meanwhile: open it again and retry
    Unavailable,  // the order cannot be reached (a cluster without its store)
};

class RoomOrder {
  public:
    virtual ~RoomOrder() = default;
    // `origin` is the local session the change comes from (the joiner, the leaver), or null.
    // The caller holds that session's lock, and no room lock. An Exited with an origin that
    // is not asked for (a disconnect) takes the origin out of local delivery even when the
    // order is unavailable: the session is going away whatever the cluster says.
    virtual Published publish(Room& room, RoomChange change, Session* origin) = 0;
};

// The order of a server that runs alone: the room's lock. It keeps the room's history too, in
// the same step as it hands out the seq (as a cluster's script does in its store).
class LocalRoomOrder final : public RoomOrder {
  public:
    explicit LocalRoomOrder(HistoryStore& history) : history_(history) {}
    Published publish(Room& room, RoomChange change, Session* origin) override;

  private:
    HistoryStore& history_;
};

}  // namespace chat::detail
