// What can happen to a room. Every change of a room (a message, a join, a leave, a move) is
// one of these: published to the room's order (RoomOrder), then applied in that order by
// Room::apply on every node that has members in the room. The structs carry names, not
// sessions, so that a cluster can store and ship them as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "history_store.hpp"

namespace chat::detail {

struct Said {
    std::string from, text;
    std::uint64_t time_us = 0;  // stamped by the order
};
// A RESUME's request (docs/protocol.md, "History and resume"): acted on by the joiner's node
// only, where the replay is sent at the joiner's place in the room's order.
struct ResumeFrom {
    std::uint64_t epoch = 0, after_seq = 0;
    std::uint16_t max_replay = 0;
    // The replay, when the order has read it already at the resumer's place (a cluster reads
    // it in the same script as it orders the join); otherwise the room reads its history.
    std::optional<std::vector<StoredMessage>> replay;
};
struct Entered {
    std::string nick;
    std::optional<ResumeFrom> resume;  // empty for JOIN
    // A cluster's node that was taken for dead while it was only stopped: its member, kept in
    // delivery here all along (Exited::stays), joins again. The others see it join; the member
    // itself is told nothing, as it missed nothing.
    bool again = false;
};
enum class ExitCause {
    Asked,         // LEAVE: the leaver gets LEFT
    Disconnected,  // BYE, a close, a kick or a timeout
    Shutdown,      // this node goes away with all its members: nobody on it is told
};
struct Exited {
    std::string nick;
    ExitCause cause = ExitCause::Disconnected;
    // The leave of a member whose node was taken for dead while it was only stopped: the
    // others see it leave, but the member (the origin), still connected here, stays in
    // delivery and joins again (Entered::again).
    bool stays = false;
};
struct Moved {
    std::string nick;
    std::uint8_t x = 0, y = 0;
};
using RoomChange = std::variant<Said, Entered, Exited, Moved>;

// A change at its place in the room's order. Only a Said has a seq (the MESSAGE's), and the
// order hands them over with no gap: seq is always the room's next_seq.
struct OrderedChange {
    std::uint64_t seq = 0;
    RoomChange change;
};

}  // namespace chat::detail
