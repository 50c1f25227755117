// The server's log: stderr always, and with --log-file a rotating file (spdlog's rotating sink).
// Under systemd stderr already goes to the journal (StandardError=journal), so it needs no sink
// of its own.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

#include "server_command_line.hpp"

// Makes the default logger `name` with stderr, the --log-file sink (if any) and `extra` sinks, at
// --log-level. Throws spdlog::spdlog_ex if the file cannot be opened.
void install_server_logger(const std::string& name, const ServerCommandLine& cl,
                           std::vector<spdlog::sink_ptr> extra = {});
