#include "chat_bench/footprint_judge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

namespace chat_bench {
namespace {

constexpr int kRssReadingsOver = 3;  // readings in a row above the band that fail
// The RSS band is never narrower than this: at the 6 MiB of an idle epoll server, 5% is
// 300 KiB, the size of a few steps of the heap or of a hash table's bucket array doubling at
// a new peak of connections. Such high-water marks added 268 KiB (+4.4%) over a 2-minute soak
// and then stayed flat; a leak keeps growing past any fixed band.
constexpr double kMinRssBandKib = 1024;

std::string count_problem(const char* what, std::uint64_t now, std::uint64_t base) {
    return std::string(what) + " " + std::to_string(now) + " against " + std::to_string(base) +
           " at the baseline";
}

}  // namespace

void FootprintJudge::warm_up(const ProcFootprint& f) {
    const std::uint64_t highest =
        baseline_ ? std::max(baseline_->memory.rss_kib, f.memory.rss_kib) : f.memory.rss_kib;
    const std::uint64_t highest_anon =
        baseline_ ? std::max(baseline_->memory.rss_anon_kib, f.memory.rss_anon_kib)
                  : f.memory.rss_anon_kib;
    baseline_ = f;
    baseline_->memory.rss_kib = highest;
    baseline_->memory.rss_anon_kib = highest_anon;
}

bool FootprintJudge::within(std::uint64_t value, std::uint64_t base) const {
    const double band = tolerance_ * static_cast<double>(base);
    return std::fabs(static_cast<double>(value) - static_cast<double>(base)) <= band;
}

std::optional<ProcFootprint> FootprintJudge::settle(
    const std::function<std::optional<ProcFootprint>()>& read,
    std::chrono::milliseconds settle) const {
    const auto deadline = std::chrono::steady_clock::now() + settle;
    auto last = read();
    auto unchanged_since = std::chrono::steady_clock::now();
    while (last && std::chrono::steady_clock::now() < deadline) {
        if (baseline_ && within(last->fds, baseline_->fds) &&
            within(last->threads, baseline_->threads))
            break;
        if (!baseline_ &&
            std::chrono::steady_clock::now() - unchanged_since >= std::chrono::milliseconds(500))
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto next = read();
        if (!next) return next;
        if (next->fds != last->fds || next->threads != last->threads)
            unchanged_since = std::chrono::steady_clock::now();
        last = next;
    }
    return last;
}

std::vector<std::string> FootprintJudge::judge(const ProcFootprint& f) {
    std::vector<std::string> problems;
    const ProcFootprint& b = *baseline_;
    if (!within(f.fds, b.fds)) problems.push_back(count_problem("descriptors", f.fds, b.fds));
    if (!within(f.threads, b.threads))
        problems.push_back(count_problem("threads", f.threads, b.threads));
    const double base = static_cast<double>(b.memory.rss_kib);
    const double limit = base + std::max(tolerance_ * base, kMinRssBandKib) + kept_kib_;
    rss_over_in_a_row_ = static_cast<double>(f.memory.rss_kib) > limit ? rss_over_in_a_row_ + 1 : 0;
    if (rss_over_in_a_row_ >= kRssReadingsOver) {
        char buf[200];
        std::snprintf(buf, sizeof buf,
                      "RSS %.1f MiB, more than %.1f MiB above the baseline's %.1f MiB (%.0f%%, at "
                      "least 1 MiB, plus %.1f MiB of buffers its connections may keep) for %d "
                      "readings in a row",
                      f.memory.rss_kib / 1024.0, (limit - base) / 1024.0, base / 1024.0,
                      100 * tolerance_, kept_kib_ / 1024.0, rss_over_in_a_row_);
        problems.push_back(buf);
    }
    return problems;
}

}  // namespace chat_bench
