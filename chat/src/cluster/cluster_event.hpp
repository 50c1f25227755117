// One event of a room as the scripts store and publish it (cluster_scripts.cpp):
//   ord US seq US kind US token US time_us US a US b       (US = \x1f)
// published as "epoch US event". `ord` orders every change of the room (messages, joins, leaves,
// moves); `seq` is the MESSAGE seq of a message (0 otherwise). `token` names the node and
// request a change came from ("node/17"), so that node finds the session it was for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../service/room_changes.hpp"

namespace chat::cluster {

inline constexpr char kUnitSeparator = '\x1f';

struct RoomEvent {
    std::uint64_t ord = 0, seq = 0, time_us = 0;
    char kind = 0;  // S said, E entered, X exited, M moved
    std::string token, a, b;

    // The change it means for Room::apply (a resume request is added by the joiner's node).
    detail::OrderedChange to_change() const;
};

std::optional<RoomEvent> parse_event(std::string_view text);
// "epoch US event": the epoch and the event, or nullopt.
std::optional<std::pair<std::uint64_t, RoomEvent>> parse_published(std::string_view text);

// The kind letter and a, b arguments of a change for the Change script.
struct ChangeArgs {
    char kind;
    std::string a, b;
};
ChangeArgs change_args(const detail::RoomChange& change);

}  // namespace chat::cluster
