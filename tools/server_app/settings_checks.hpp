// The checks of the settings as a whole, after each option passed its own: files to read,
// addresses to resolve, options that exclude each other.
#pragma once

#include <string>

#include "server_command_line.hpp"

namespace settings_checks {

// Reads --password-file into cl.password, checks --listen and what goes together; adds what
// the operator should know to cl.warnings. Returns why the settings cannot serve, or "".
std::string complete(ServerCommandLine& cl);

}  // namespace settings_checks
