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

// A reload: closes the log file and opens cl.log_file (maybe another, or none) afresh, so that
// logrotate's moved file is let go. Throws spdlog::spdlog_ex if it cannot be opened (the old file
// is kept then).
void reopen_server_log(const ServerCommandLine& cl);
