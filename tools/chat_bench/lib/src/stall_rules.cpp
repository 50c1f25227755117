#include "chat_bench/stall_rules.hpp"

#include <cstdio>

namespace chat_bench {
namespace {

constexpr auto kSampleEvery = std::chrono::milliseconds(10);

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

StallWatch::StallWatch(std::function<std::uint64_t()> counter) : counter_(std::move(counter)) {}

void StallWatch::start() {
    stop();
    {
        std::lock_guard lock(mutex_);
        spell_ = {};
    }
    started_ = std::chrono::steady_clock::now();
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

QuietSpell StallWatch::stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    return longest();
}

QuietSpell StallWatch::longest() const {
    std::lock_guard lock(mutex_);
    return spell_;
}

void StallWatch::run() {
    using clock = std::chrono::steady_clock;
    std::uint64_t last = counter_();
    clock::time_point moved = started_;
    // One more sample after stop() was asked for, so a spell running at the end counts whole.
    for (bool more = true; more;) {
        more = running_.load();
        if (more) std::this_thread::sleep_for(kSampleEvery);
        const auto now = clock::now();
        const std::uint64_t value = counter_();
        const double quiet = std::chrono::duration<double>(now - moved).count();
        {
            std::lock_guard lock(mutex_);
            if (quiet > spell_.longest_s)
                spell_ = {quiet, std::chrono::duration<double>(moved - started_).count()};
        }
        if (value != last) {
            last = value;
            moved = now;
        }
    }
}

void check_stall(Report& report, const QuietSpell& spell, double limit_s, const std::string& key,
                 const std::string& nothing_happened) {
    report.add(key + "_quiet_max_s", spell.longest_s, "s", "longest time with no " + key);
    if (spell.longest_s < limit_s) return;
    report.problem("stall: " + nothing_happened + " for " + fixed(spell.longest_s, 2) + " s (" +
                   fixed(spell.from_s, 2) + " s to " + fixed(spell.from_s + spell.longest_s, 2) +
                   " s into the measured window; --stall-limit " + fixed(limit_s, 2) +
                   " s): the server stopped serving");
}

void check_delivered_share(Report& report, double offered_per_s, double delivered_per_s) {
    const double share = offered_per_s > 0 ? delivered_per_s / offered_per_s : 1.0;
    report.add("offered_per_s", offered_per_s, "deliveries/s", "deliveries offered (open loop)");
    report.add("delivered_share", share, "", "delivered / offered");
    if (share >= kMinDeliveredShare) return;
    report.problem("deliveries fell far below the offered load: " + fixed(delivered_per_s, 0) +
                   "/s delivered against " + fixed(offered_per_s, 0) + "/s offered (" +
                   fixed(100 * share, 1) + "%, at least " + fixed(100 * kMinDeliveredShare, 0) +
                   "% required): the server did not keep up");
}

}  // namespace chat_bench
