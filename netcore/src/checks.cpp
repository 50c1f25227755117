#include "checks.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace netcore {

bool debug_checks_enabled() {
    return NETCORE_CHECKS != 0;
}

void check_failed(const char* what, const char* file, int line) {
    // stderr first: the logger may be the thing that is broken.
    std::fprintf(stderr, "netcore check failed: %s (%s:%d)\n", what, file, line);
    std::fflush(stderr);
    spdlog::default_logger_raw()->flush();
    std::abort();
}

}  // namespace netcore
