// What the service asks of a cluster (issue 13, docs/cluster.md), when it runs as one node of
// several sharing rooms through Redis. Alone (no --cluster) there is none, and the service does
// everything itself, as before.
//
// Every call returns at once: what needs Redis is done on the cluster's link thread, and the
// answer comes back through the callback, run on that thread (which holds no service lock, so
// the callback may take any). A call made while Redis cannot be reached is answered at once
// with `unavailable`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/service.hpp"
#include "room_order.hpp"

namespace chat::detail {

class ServiceCore;

enum class ClaimOutcome { Claimed, Taken, Unavailable };

struct NickHolder {
    std::string node, nick;  // where the nick is logged in, and its spelling
};

class Cluster {
  public:
    virtual ~Cluster() = default;

    // Connects as `node` (in the background: a Redis that is not there yet is retried with
    // backoff). Until it is connected, what needs the cluster is answered `unavailable`.
    virtual void start(const std::string& node) = 0;
    // Bounded: closes the connections, joins the link thread.
    virtual void stop() = 0;
    virtual RoomOrder& order() = 0;

    // HELLO: the nick (folded `key`) for this node, cluster-wide.
    virtual void claim_nick(const std::string& key, const std::string& nick,
                            std::function<void(ClaimOutcome)> done) = 0;
    virtual void release_nick(const std::string& key, const std::string& nick) = 0;
    // WHISPER to a nick not on this node: the holder (nullopt if nobody has it), or
    // `unavailable` set when Redis cannot be reached.
    virtual void whisper(const std::string& from, const std::string& to_key,
                         const std::string& text,
                         std::function<void(std::optional<NickHolder>, bool unavailable)> done) = 0;
    // LIST_ROOMS across the cluster; nullopt when Redis cannot be reached.
    virtual void list_rooms(std::function<void(std::optional<std::vector<RoomSummary>>)> done) = 0;
    // /kick of a nick on another node (the folded nick); waits (an operator thread, never an engine
    // thread) at most `timeout`. The node it was sent to, or "" if nobody has the nick (or no
    // answer).
    virtual std::string kick_remote(const std::string& key, const std::string& reason,
                                    std::chrono::milliseconds timeout) = 0;
    // /notice to the sessions of the other nodes (this node's are told by the caller).
    virtual void notice(const std::string& text) = 0;

    virtual ClusterStatus status() const = 0;
};

// The cluster of `config.cluster`, for `core`; throws std::runtime_error when this build has no
// cluster support (the MinGW build) or the address is bad.
std::unique_ptr<Cluster> make_cluster(ServiceCore& core, const ServiceConfig& config);

}  // namespace chat::detail
