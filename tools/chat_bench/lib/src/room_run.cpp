#include "chat_bench/room_run.hpp"

#include <unistd.h>

#include "chat/codec.hpp"
#include "chat_bench/progress.hpp"
#include "chat_bench/setup.hpp"

namespace chat_bench {

RoomRun::RoomRun(const CommonOptions& common, const RoomOptions& options, std::size_t extra_conns)
    : options_(options) {
    if (options.senders > options.members)
        throw SetupError("--senders cannot exceed the number of members");
    if (options.text_bytes < 24 || options.text_bytes > 1024)
        throw SetupError("--text must be 24..1024 bytes (it carries the send time)");
    plan_.common = common;
    plan_.room = options.room.empty() ? "bench" + std::to_string(::getpid()) : options.room;
    plan_.members = options.members;
    plan_.senders = options.senders;
    plan_.text_bytes = options.text_bytes;
    plan_.window = options.rate > 0 ? 0 : options.window;
    std::vector<netcore::ConnectionHandler*> handlers;
    for (unsigned i = 0; i < std::max(1u, common.threads); ++i) {
        workers_.push_back(std::make_unique<RoomWorker>(plan_));
        handlers.push_back(workers_.back().get());
    }
    fleet_ = std::make_unique<Fleet>(common, handlers, options.members + extra_conns);
    fleet_->start();
}

RoomRun::~RoomRun() {
    stop_senders();
    stop();
}

void RoomRun::open_members(Report& report) {
    std::size_t connected = 0;
    std::string first_failure;
    for (std::size_t i = 0; i < options_.members; ++i) {
        std::string error;
        if (fleet_->connect(i, error))
            ++connected;
        else if (first_failure.empty())
            first_failure = error;
    }
    if (connected == 0) throw SetupError("no member could connect: " + first_failure);
    if (connected < options_.members)
        report.problem(std::to_string(options_.members - connected) + " of " +
                       std::to_string(options_.members) +
                       " members could not connect: " + first_failure);
    const double timeout = options_.join_timeout_s > 0 ? options_.join_timeout_s
                                                       : 10 + 0.03 * static_cast<double>(connected);
    std::unique_lock lock(plan_.mutex);
    const bool all = plan_.changed.wait_for(lock, std::chrono::duration<double>(timeout), [&] {
        return plan_.joined.load() >= connected || !plan_.first_error.empty();
    });
    if (!all || plan_.joined.load() < connected)
        throw SetupError(std::to_string(plan_.joined.load()) + " of " + std::to_string(connected) +
                         " members joined '" + plan_.room + "'" +
                         (plan_.first_error.empty() ? " in time" : ": " + plan_.first_error));
    if (plan_.sender_conns.empty()) throw SetupError("no sender connected");
}

void RoomRun::start_senders() {
    if (options_.rate > 0) {
        pacing_ = true;
        pacer_ = std::thread([this] { pace(); });
        return;
    }
    plan_.closed_loop = true;
    std::vector<netcore::ConnectionPtr> senders;
    {
        std::lock_guard lock(plan_.mutex);
        senders = plan_.sender_conns;
    }
    for (auto& conn : senders) {
        Bytes frames;
        for (std::size_t i = 0; i < options_.window; ++i)
            append_timed_say(frames, plan_.room, plan_.text_bytes, now_ns());
        plan_.said.fetch_add(options_.window);
        conn->send(frames);
    }
}

// Open loop: messages go out on schedule whether or not earlier ones came back, so a slow
// server shows up as latency, not as a politely lower rate.
void RoomRun::pace() {
    std::vector<netcore::ConnectionPtr> senders;
    {
        std::lock_guard lock(plan_.mutex);
        senders = plan_.sender_conns;
    }
    std::vector<Bytes> batches(senders.size());
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t sent = 0, counted = 0, next_sender = 0;
    while (pacing_.load()) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const auto due = static_cast<std::uint64_t>(elapsed * options_.rate);
        const std::uint64_t now = now_ns();
        for (; sent < due; ++sent) {
            append_timed_say(batches[next_sender], plan_.room, plan_.text_bytes, now);
            next_sender = (next_sender + 1) % senders.size();
        }
        for (std::size_t i = 0; i < senders.size(); ++i)
            if (!batches[i].empty()) {
                senders[i]->send(batches[i]);
                batches[i].clear();
            }
        // Added, not stored: a soak starts and stops the senders once per cycle.
        plan_.said.fetch_add(sent - counted, std::memory_order_relaxed);
        counted = sent;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
}

RoomWindow RoomRun::measure(const CommonOptions& common, ServerSampler& server, Progress& progress,
                            const std::function<void()>& after_window) {
    start_senders();
    sleep_seconds(common.warmup_s);
    const std::uint64_t s0 = plan_.said.load(), d0 = plan_.deliveries.load(),
                        c0 = plan_.churn_cycles.load();
    const auto t0 = std::chrono::steady_clock::now();
    server.begin();
    progress.say("measuring for " + seconds_text(common.duration_s));
    StallWatch deliveries([this] { return plan_.deliveries.load(std::memory_order_relaxed); });
    StallWatch churn([this] { return plan_.churn_cycles.load(std::memory_order_relaxed); });
    deliveries.start();
    churn.start();
    plan_.recording = true;
    sleep_seconds(common.duration_s);
    plan_.recording = false;
    RoomWindow w;
    w.delivery_quiet = deliveries.stop();
    w.churn_quiet = churn.stop();
    w.said = plan_.said.load() - s0;
    w.deliveries = plan_.deliveries.load() - d0;
    w.churn_cycles = plan_.churn_cycles.load() - c0;
    w.seconds = seconds_since(t0);
    server.end();
    if (after_window) after_window();
    stop_senders();
    progress.stop();
    w.last_seq = drain(10);
    return w;
}

void RoomRun::ping_members() {
    std::vector<netcore::ConnectionPtr> members;
    {
        std::lock_guard lock(plan_.mutex);
        members = plan_.member_conns;
    }
    const Bytes ping = chat::encode(chat::Ping{1});
    for (auto& conn : members) conn->send(ping);
}

void RoomRun::stop_senders() {
    plan_.closed_loop = false;
    pacing_ = false;
    if (pacer_.joinable()) pacer_.join();
}

std::uint64_t RoomRun::drain(double timeout_s) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    std::uint64_t last = 0;
    while (true) {
        const std::uint64_t accepted = plan_.said.load() - plan_.rejected.load();
        if (plan_.first_seq.load() == 0) return 0;  // nobody joined
        last = plan_.first_seq.load() + accepted - 1;
        if (behind(last) == 0 || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return last;
}

void RoomRun::stop() {
    plan_.stopping = true;
    if (fleet_) fleet_->stop();
}

std::size_t RoomRun::behind(std::uint64_t last_seq) const {
    std::size_t n = 0;
    for (const auto& w : workers_) n += w->behind(last_seq);
    return n;
}

LatencyHistogram RoomRun::latency() const {
    LatencyHistogram h;
    for (const auto& w : workers_) h.merge(w->histogram());
    return h;
}

void RoomRun::check_flow(Report& report, const RoomWindow& w, double stall_limit_s) const {
    check_stall(report, w.delivery_quiet, stall_limit_s, "delivery", "no member got a message");
    if (options_.rate > 0 && w.seconds > 0)
        check_delivered_share(report, static_cast<double>(w.said * options_.members) / w.seconds,
                              static_cast<double>(w.deliveries) / w.seconds);
}

void RoomRun::check_order(Report& report, std::uint64_t last_seq) const {
    const auto gaps = plan_.gaps.load(), dups = plan_.duplicates.load();
    const std::size_t short_members = behind(last_seq);
    report.add("gaps", static_cast<double>(gaps), "", "seq gaps (lost messages)");
    report.add("duplicates", static_cast<double>(dups), "", "seq duplicates or reorderings");
    report.add("incomplete_members", static_cast<double>(short_members), "",
               "members missing the last messages");
    if (gaps > 0)
        report.problem(std::to_string(gaps) + " gaps: " + std::to_string(plan_.missed.load()) +
                       " messages never reached some member");
    if (dups > 0) report.problem(std::to_string(dups) + " messages arrived twice or out of order");
    if (short_members > 0)
        report.problem(std::to_string(short_members) + " members had not seen seq " +
                       std::to_string(last_seq) + " when the drain timed out");
    if (plan_.rate_limited)
        report.problem(std::to_string(plan_.rejected.load()) +
                       " SAYs were rate-limited by the server: run chat_server with "
                       "--rate-limit 0 for benchmarks");
}

}  // namespace chat_bench
