#include "proto_lite.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace proto_lite {

bool parse_args(int argc, char** argv, std::string& listen, std::uint16_t& port, bool* flag,
                const char* flag_name) {
    for (int i = 1; i < argc; ++i) {
        const bool has_value = i + 1 < argc;
        if (!std::strcmp(argv[i], "--port") && has_value) {
            port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
        } else if (!std::strcmp(argv[i], "--listen") && has_value) {
            listen = argv[++i];
        } else if (flag && flag_name && !std::strcmp(argv[i], flag_name)) {
            *flag = true;
        } else {
            std::fprintf(stderr, "usage: %s [--listen ADDR] [--port N]%s%s\n", argv[0],
                         flag_name ? " " : "", flag_name ? flag_name : "");
            return false;
        }
    }
    return true;
}

}  // namespace proto_lite
