#include "server_command_line.hpp"

const char* netchat_version() {
    return NETCHAT_VERSION;  // CMake's PROJECT_VERSION (tools/server_app/CMakeLists.txt)
}
