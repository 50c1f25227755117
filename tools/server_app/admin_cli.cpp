// chat_server --cli [--admin-socket PATH] [--timeout S] COMMAND [ARGS...]: one command from the
// arguments ("stats", "kick ada too loud", "/engine poll"), or, with none, one per line of stdin.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "admin_client.hpp"
#include "admin_socket.hpp"
#include "option_checks.hpp"

namespace {

std::string footer() {
    return "Commands (the leading '/' may be left out): stats, engine [NAME], kick NICK [REASON],\n"
           "notice TEXT, rehash, help, quit. Without COMMAND, commands are read from stdin, one\n"
           "per line. Each answer is printed as the server gives it.\n"
           "\n"
           "The socket: --admin-socket, else NETCHAT_ADMIN_SOCKET, else $RUNTIME_DIRECTORY/\n"
           "admin.sock, else /run/netchat/admin.sock (where the systemd unit's server listens).\n"
           "\n"
           "Exit status: 0 when every command succeeded; 1 when the server answered one with\n"
           "\"error: ...\"; 2 for a bad option; 3 when the server cannot be reached (no socket,\n"
           "nobody answering, permission denied, no answer within --timeout).";
}

// "kick ada too loud" -> "/kick ada too loud".
std::string command_line(std::string line) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '/') line.insert(first, "/");
    return line;
}

}  // namespace

int run_admin_cli(const std::vector<std::string>& args) {
    CLI::App app{
        "chat_server --cli: operator commands to a running chat_server over its admin "
        "socket",
        "chat_server --cli"};
    bool cli = false;
    std::string path = default_admin_socket_path();
    double timeout_s = 10;
    app.add_flag("--cli", cli, "talk to a running server (this mode)");
    app.add_option("--admin-socket", path, "the server's admin socket")
        ->envname("NETCHAT_ADMIN_SOCKET")
        ->capture_default_str();
    app.add_option("--timeout", timeout_s, "seconds to wait for each answer")
        ->check(CLI::Validator(
            [](std::string& in) { return option_checks::finite_number(in, 0.1, 3600, "seconds"); },
            ""))
        ->capture_default_str();
    app.prefix_command();  // the first word that is not an option starts the command
    app.footer(footer());
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return admin_cli::kOk;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "chat_server --cli: %s\nRun chat_server --cli --help for the usage.\n",
                     e.what());
        return admin_cli::kUsage;
    }
    std::vector<std::string> words = app.remaining();
    if (!words.empty() && words.front() == "--") words.erase(words.begin());

    std::vector<std::string> commands;
    if (!words.empty()) {
        std::string line;
        for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
        commands.push_back(command_line(line));
    }
    if (!AdminSocket::available()) {
        std::fprintf(stderr, "chat_server --cli: %s\n",
                     AdminSocket::problem_with_path(path).c_str());
        return admin_cli::kUsage;
    }
    const auto timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
    int status = admin_cli::kOk;
    try {
        AdminConnection connection(path);
        const auto ask = [&](const std::string& command) {
            const std::string answer = connection.ask(command, timeout);
            std::printf("%s\n", answer.c_str());
            std::fflush(stdout);
            if (answer.rfind("error: ", 0) == 0) status = admin_cli::kCommandFailed;
        };
        if (!commands.empty()) {
            ask(commands.front());
        } else {
            for (std::string line; std::getline(std::cin, line);) {
                if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
                ask(command_line(line));
            }
        }
    } catch (const AdminUnreachable& e) {
        std::fprintf(stderr, "chat_server --cli: %s\n", e.what());
        return admin_cli::kUnreachable;
    }
    return status;
}
