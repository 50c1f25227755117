// A spdlog sink that keeps the newest log lines in a ring for the log panel. Network threads
// log through it, so a write is one short lock and a copy; the UI pulls only what is new.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace server_gui {

struct LogLine {
    std::uint64_t seq = 0;
    spdlog::level::level_enum level = spdlog::level::info;
    std::string text;  // formatted, without the trailing newline
};

class LogRing {
  public:
    explicit LogRing(std::size_t capacity) : capacity_(capacity) {}
    void push(spdlog::level::level_enum level, std::string text);
    // Appends to `out` every line newer than `after_seq`; returns the newest seq seen.
    std::uint64_t read_since(std::uint64_t after_seq, std::vector<LogLine>& out) const;
    std::size_t capacity() const { return capacity_; }

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<LogLine> lines_;
    std::uint64_t next_seq_ = 1;
};

class RingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit RingSink(std::shared_ptr<LogRing> ring) : ring_(std::move(ring)) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

  private:
    std::shared_ptr<LogRing> ring_;
};

}  // namespace server_gui
