// This server as one node of a cluster (docs/cluster.md): the service's Cluster and the rooms'
// RoomOrder, on top of the Redis link.
//
// Threads: publish() and the Cluster calls come from engine and operator threads; they only
// take a room's lock (briefly, to note who waits for what) and post jobs to the link thread.
// Everything else here (the feeds, the scripts' answers, the subscription's messages, the
// heartbeat) runs on the link thread, asserted, which delivers each room's events to the local
// members under the room's lock strictly in the room's order (`ord`), filling any gap from the
// room's stream before going on.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "../service/cluster_seam.hpp"
#include "../service/shared_history.hpp"
#include "cluster_event.hpp"
#include "cluster_scripts.hpp"
#include "redis_link.hpp"

namespace chat::cluster {

class ClusterNode final : public detail::Cluster, private detail::RoomOrder {
  public:
    ClusterNode(detail::ServiceCore& core, RedisAddress address);
    ~ClusterNode() override;

    void start(const std::string& node) override;
    void stop() override;
    detail::RoomOrder& order() override { return *this; }
    void claim_nick(const std::string& key, const std::string& nick,
                    std::function<void(detail::ClaimOutcome)> done) override;
    void release_nick(const std::string& key, const std::string& nick) override;
    void whisper(const std::string& from, const std::string& to_key, const std::string& text,
                 std::function<void(std::optional<detail::NickHolder>, bool)> done) override;
    void list_rooms(std::function<void(std::optional<std::vector<RoomSummary>>)> done) override;
    std::string kick_remote(const std::string& key, const std::string& reason,
                            std::chrono::milliseconds timeout) override;
    void notice(const std::string& text) override;
    ClusterStatus status() const override;

  private:
    // ---- RoomOrder (engine threads) ----
    detail::Published publish(detail::Room& room, detail::RoomChange change,
                              detail::Session* origin) override;

    // One room this node follows, on the link thread.
    struct Feed {
        enum class State { Idle, Subscribing, Joining, Live };
        State state = State::Idle;
        detail::RoomPtr room;                        // the local Room object it delivers to
        std::uint64_t epoch = 0, next_ord = 1;       // where delivery stands (Live)
        std::map<std::uint64_t, RoomEvent> held;     // arrived ahead of next_ord
        bool filling = false;                        // an XRANGE for a gap is on its way
        int snapshots = 0;                           // joins asking for a snapshot, in flight
        std::vector<std::function<void()>> waiting;  // changes to send once subscribed
        std::map<std::uint64_t, detail::ResumeFrom> resumes;  // token -> request (+ replay)
        std::set<std::uint64_t> awaiting;  // resume joins whose answer is not back
        std::set<std::uint64_t> rejoins;   // joins again of members kept (Exited::stays)
    };

    // ---- the link thread ----
    void on_up();
    void on_down(const std::string& why);
    void heartbeat();
    void send_change(const detail::RoomPtr& room, detail::RoomChange change, std::uint64_t token);
    void run_change(const detail::RoomPtr& room, const detail::RoomChange& change,
                    std::uint64_t token);
    void change_answered(const detail::RoomPtr& room, char kind, std::uint64_t token, bool snapshot,
                         RedisResult result);
    void change_failed(Feed& feed, char kind, std::uint64_t token, bool snapshot,
                       const std::string& refused);
    Feed* feed_of(const detail::RoomPtr& room);
    void subscribe_room(const std::string& room);
    void on_room_message(const std::string& channel, const std::string& payload);
    void on_node_message(const std::string& payload);
    void on_notice(const std::string& payload);
    void advance(Feed& feed);
    void fill(Feed& feed, std::uint64_t before_ord);
    void apply(Feed& feed, const RoomEvent& event);
    static detail::Session* local_member(detail::Room& room, const std::string& nick);
    void stop_following(Feed& feed);
    void rejoin(const detail::RoomPtr& room, const std::weak_ptr<detail::Session>& member);
    void resync(Feed& feed);
    void start_over(Feed& feed);
    void reclaim_nicks();
    void reconcile_memberships();
    std::uint64_t own_token(const std::string& token) const;  // 0 if not this node's
    std::string token_text(std::uint64_t token) const;
    std::vector<std::string> change_args_for(const std::string& room, const detail::RoomChange& c,
                                             std::uint64_t token, bool snapshot) const;

    detail::ServiceCore& core_;
    detail::SharedHistory& history_;  // core_'s (a cluster's service keeps one)
    const RedisAddress address_;
    std::string node_;  // set by start(), before the link thread runs
    const std::uint64_t stream_cap_;
    RedisLink link_;
    Scripts scripts_;  // link thread
    std::atomic<std::uint64_t> next_token_{1};
    std::map<std::string, Feed> feeds_;  // link thread, by room name
    bool registered_ = false;            // link thread: a heartbeat got through once
    Clock::time_point last_probe_{};     // link thread: our own probe came back
    bool started_ = false;

    mutable std::mutex status_mutex_;  // a leaf: the cached view below
    std::vector<ClusterNodeInfo> nodes_;
    std::uint32_t cluster_sessions_ = 0, cluster_rooms_ = 0;
};

}  // namespace chat::cluster
