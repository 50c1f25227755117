// No admin socket in the Windows build (admin_socket_windows.cpp): --cli says so.
#include "admin_client.hpp"

AdminConnection::AdminConnection(const std::string& path) : path_(path) {
    throw AdminUnreachable(
        "the admin socket is not available in the Windows build (use the server's console)");
}

AdminConnection::~AdminConnection() = default;

std::string AdminConnection::ask(const std::string&, std::chrono::milliseconds) {
    return {};
}
