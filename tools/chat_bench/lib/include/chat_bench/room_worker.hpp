// The connection handler for room scenarios (fanout, churn): members log in and join one
// room; every MESSAGE is checked against the seq the member expects next (a gap is a lost
// message, a lower seq a duplicate or reordering) and its delivery latency recorded from the
// send time in its text. Churners join and leave at once; senders say timed messages.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat_bench/histogram_set.hpp"
#include "chat_bench/options.hpp"
#include "chat_bench/wire.hpp"
#include "netcore/connection.hpp"

namespace chat_bench {

// What every worker of a room scenario shares. Connections get their role in the order
// they open: the first `members` are members (the first `senders` of them also say), the
// rest are churners.
struct RoomPlan {
    CommonOptions common;
    std::string room;
    std::size_t members = 0;
    std::size_t senders = 0;
    std::size_t text_bytes = 32;
    std::size_t window = 0;  // closed loop: SAYs each sender keeps in flight (0: paced)

    std::atomic<std::size_t> next_index{0};
    std::atomic<bool> recording{false};
    std::atomic<bool> closed_loop{false};  // senders answer their own MESSAGE with a new SAY
    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> joined{0}, deliveries{0}, said{0}, rejected{0};
    std::atomic<std::uint64_t> gaps{0}, missed{0}, duplicates{0}, lost_members{0};
    std::atomic<std::uint64_t> first_seq{0};  // the seq the first SAY will get (max JOINED)
    std::atomic<std::uint64_t> churn_cycles{0}, churn_failures{0}, refused{0};

    std::mutex mutex;  // guards what follows
    std::condition_variable changed;
    std::vector<netcore::ConnectionPtr> sender_conns, member_conns;
    std::size_t churners_open = 0;
    std::string first_error;
    bool rate_limited = false;

    void error(std::string text);
};

class RoomWorker final : public netcore::ConnectionHandler {
  public:
    explicit RoomWorker(RoomPlan& plan) : plan_(plan) {}

    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;

    // Read these only after the fleet has stopped.
    LatencyHistogram histogram() const { return histograms_.merged(); }
    // Members whose run of seq does not (yet) end at `last_seq`: they miss the tail.
    std::size_t behind(std::uint64_t last_seq) const;

  private:
    struct Member {
        std::size_t index = 0;
        std::string nick;
        bool member = true, sender = false;
        bool joined = false;
        std::atomic<std::uint64_t> next_seq{0};  // the seq expected next (0: not joined yet)
        std::uint64_t received = 0;
    };

    // `out` gathers the frames to send back; calls for different connections may overlap.
    struct Batch {
        std::uint64_t now = 0;
        Bytes& out;
        LatencyHistogram& latency;
    };
    void on_frame(Member& m, netcore::Connection& conn, std::uint16_t type,
                  std::span<const std::byte> body, Batch& batch);
    void on_message(Member& m, std::span<const std::byte> body, Batch& batch);

    RoomPlan& plan_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Member>> by_conn_;  // engine thread
    mutable std::mutex members_mutex_;                                    // for readers
    HistogramSet histograms_;
};

}  // namespace chat_bench
