// The progress line on stderr, once per second while a scenario runs (rewritten in place on
// a terminal, one line per second in a log).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace chat_bench {

class Progress {
  public:
    using Line = std::function<std::string()>;

    // An empty `line`: no periodic line, only say().
    Progress(bool enabled, std::string scenario, Line line);
    ~Progress() { stop(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void stop();  // prints a last line break on a terminal
    // A line now, on its own (phase changes: "measuring 5 s"); scripts key on it.
    void say(const std::string& text);

  private:
    void run();

    const std::string scenario_;
    const Line line_;
    const bool enabled_;
    const bool tty_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

// Human-sized numbers for progress lines: 1.23M, 45.6k.
std::string si(double v);

}  // namespace chat_bench
