#include "server_logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

void install_server_logger(const std::string& name, const ServerCommandLine& cl,
                           std::vector<spdlog::sink_ptr> extra) {
    std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
    if (!cl.log_file.empty())
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
            cl.log_file, cl.log_max_size, cl.log_max_files));
    sinks.insert(sinks.end(), extra.begin(), extra.end());
    auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::from_str(cl.log_level));
    // A crash must not lose the last lines: every line at info or above is flushed at once.
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
    spdlog::flush_every(std::chrono::seconds(1));
}
