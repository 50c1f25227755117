// Which chat_server the end-to-end tests drive: this build's, or the command in CHAT_SERVER_CMD
// (words split on spaces), e.g. "wine build-win/bin/chat_server.exe" to drive the Windows build
// from Linux over loopback. Its engines are then the ones its --list-engines names.
#pragma once

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "netcore/engine_registry.hpp"
#include "server_process.hpp"

namespace testing_support {

// The whole of a file the server wrote (its log, a config), or "" if it is not there.
inline std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline std::vector<std::string> server_command() {
    std::vector<std::string> words;
    const char* cmd = std::getenv("CHAT_SERVER_CMD");
    if (!cmd || !*cmd) return {CHAT_SERVER_PATH};
    std::istringstream in(cmd);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}
inline const bool kForeign = std::getenv("CHAT_SERVER_CMD") && *std::getenv("CHAT_SERVER_CMD");
inline const std::string kServer = server_command().front();

inline std::vector<std::string> with_prefix(std::vector<std::string> args) {
    auto cmd = server_command();
    args.insert(args.begin(), cmd.begin() + 1, cmd.end());
    return args;
}

// Wine ends a process on SIGTERM without running its handlers, but turns SIGINT into the
// console's Ctrl-C event, which the C runtime's SIGINT handler sees.
inline const int kStopSignal = kForeign ? SIGINT : SIGTERM;

inline std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    if (!kForeign) {
        for (const auto& e : netcore::engines()) out.emplace_back(e.name);
        return out;
    }
    std::string listing;
    run_capture(kServer, with_prefix({"--list-engines"}), listing);
    std::istringstream in(listing);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string name;
        if (words >> name) out.push_back(name);
    }
    return out;
}

}  // namespace testing_support
