#include "chat_bench/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace chat_bench {

Progress::Progress(bool enabled, std::string scenario, Line line)
    : scenario_(std::move(scenario)),
      line_(std::move(line)),
      enabled_(enabled),
      tty_(::isatty(2) == 1) {
    if (enabled && line_) thread_ = std::thread([this] { run(); });
}

void Progress::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
        if (tty_) std::fputs("\n", stderr);
    }
}

void Progress::say(const std::string& text) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::fprintf(stderr, tty_ ? "\r\033[K[%s %4.1fs] %s\n" : "[%s %4.1fs] %s\n", scenario_.c_str(),
                 t, text.c_str());
    std::fflush(stderr);
}

void Progress::run() {
    std::unique_lock lock(mutex_);
    auto next = started_;
    while (true) {
        next += std::chrono::seconds(1);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
        const double t =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        const std::string text = line_();
        std::fprintf(stderr, tty_ ? "\r\033[K[%s %4.0fs] %s" : "[%s %4.0fs] %s\n",
                     scenario_.c_str(), t, text.c_str());
        std::fflush(stderr);
    }
}

std::string si(double v) {
    char buf[32];
    if (v >= 1e9)
        std::snprintf(buf, sizeof buf, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

}  // namespace chat_bench
