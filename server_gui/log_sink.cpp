#include "log_sink.hpp"

namespace server_gui {

void LogRing::push(spdlog::level::level_enum level, std::string text) {
    std::lock_guard lock(mutex_);
    lines_.push_back({next_seq_++, level, std::move(text)});
    while (lines_.size() > capacity_) lines_.pop_front();
}

std::uint64_t LogRing::read_since(std::uint64_t after_seq, std::vector<LogLine>& out) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_)
        if (line.seq > after_seq) out.push_back(line);
    return next_seq_ - 1;
}

void RingSink::sink_it_(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string text(formatted.data(), formatted.size());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    ring_->push(msg.level, std::move(text));
}

}  // namespace server_gui
