// The Lua scripts that make the cluster's steps atomic in Redis (docs/cluster.md, "Scripts").
// Each is loaded once per connection (SCRIPT LOAD) and run with EVALSHA; a Redis that does not
// know it (restarted, SCRIPT FLUSH) answers NOSCRIPT, and the call is sent again with EVAL.
//
// Keys: nc:room:{R}:meta (hash: epoch, ord, seq), nc:room:{R}:log (stream of the room's
// events, id ORD-0), nc:room:{R}:members (hash: nick -> ord of the join), nc:room:{R}:board
// (hash: nick -> "first-move-ord x y"), nc:rooms (set of rooms with members),
// nc:nick:{KEY} (string: "node\x1fnick", with a TTL), nc:node:{N}:alive (TTL), nc:node:{N}:nicks
// and nc:node:{N}:members (sets), nc:nodes (hash: node -> "sessions ms"). Channels:
// nc:room:{R}, nc:node:{N}, nc:notice. The scripts compute the keys from names: one Redis (or a
// replicated one), not Redis Cluster; the {hash tags} keep each room's keys in one slot.
#pragma once

#include <string>
#include <vector>

#include "redis_link.hpp"

namespace chat::cluster {

enum class Script {
    Change,     // a room's change: seq, stream, publish (+ snapshot and replay for a join)
    Heartbeat,  // the node is alive; nicks' TTLs refreshed; dead nodes reaped
    ClaimNick,  // SET NX with the node as owner
    ReleaseNick,
    ToNick,     // PUBLISH to the node that holds a nick (whisper, kick)
    ListRooms,  // every room with members, and how many
    Position,   // a room's epoch and last ord
    Retire,     // a node shutting down: whatever it still holds is let go
};
inline constexpr int kScriptCount = 8;

class Scripts {
  public:
    // SCRIPT LOAD of each (after every reconnect); calls made before the answers use EVAL.
    void load(RedisLink& link);
    // EVALSHA (or EVAL) `script` with no KEYS and `args` as ARGV.
    void run(RedisLink& link, Script script, std::vector<std::string> args, ResultHandler done);

  private:
    std::string sha_[kScriptCount];
};

const std::string& script_text(Script script);

}  // namespace chat::cluster
