#include "server_logging.hpp"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace {

// The file's place among the logger's sinks: a dist_sink, whose sinks can be replaced under its
// own lock while other threads log.
std::shared_ptr<spdlog::sinks::dist_sink_mt>& file_slot() {
    static auto slot = std::make_shared<spdlog::sinks::dist_sink_mt>();
    return slot;
}

std::vector<spdlog::sink_ptr> file_sinks(const ServerCommandLine& cl) {
    if (cl.log_file.empty()) return {};
    return {std::make_shared<spdlog::sinks::rotating_file_sink_mt>(cl.log_file, cl.log_max_size,
                                                                   cl.log_max_files)};
}

}  // namespace

void install_server_logger(const std::string& name, const ServerCommandLine& cl,
                           std::vector<spdlog::sink_ptr> extra) {
    file_slot()->set_sinks(file_sinks(cl));
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>(),
                                        file_slot()};
    sinks.insert(sinks.end(), extra.begin(), extra.end());
    auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::from_str(cl.log_level));
    // A crash must not lose the last lines: every line at info or above is flushed at once.
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
    spdlog::flush_every(std::chrono::seconds(1));
}

void reopen_server_log(const ServerCommandLine& cl) {
    std::vector<spdlog::sink_ptr> fresh = file_sinks(cl);  // throws before the old one goes
    file_slot()->set_sinks(std::move(fresh));
}
