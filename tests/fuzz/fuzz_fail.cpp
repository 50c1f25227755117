#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "fuzz_target.hpp"

namespace netchat_fuzz {

void fail(const char* what, const char* file, int line) {
    const std::string message =
        std::string("fuzz check failed: ") + what + " (" + file + ":" + std::to_string(line) + ")";
#ifdef NETCHAT_LIBFUZZER
    std::fprintf(stderr, "%s\n", message.c_str());
    std::abort();
#else
    throw std::runtime_error(message);
#endif
}

}  // namespace netchat_fuzz
