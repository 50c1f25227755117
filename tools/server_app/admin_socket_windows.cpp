// No admin socket in the Windows build: --admin-socket and --cli are refused with the reason
// (settings_checks, admin_client), and the console's stdin takes the operator commands.
#include <stdexcept>

#include "admin_socket.hpp"

struct AdminSocket::Loop {};

bool AdminSocket::available() {
    return false;
}

std::string AdminSocket::problem_with_path(const std::string&) {
    return "not available in the Windows build (no Unix sockets here; the console's stdin takes "
           "the operator commands)";
}

AdminSocket::AdminSocket(std::string path, Answer answer)
    : path_(std::move(path)), answer_(std::move(answer)) {}

AdminSocket::~AdminSocket() = default;

void AdminSocket::start() {
    throw std::runtime_error("--admin-socket is not available in the Windows build");
}

void AdminSocket::stop() {}

std::string default_admin_socket_path() {
    return {};
}
