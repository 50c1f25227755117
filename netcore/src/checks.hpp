// netcore's assertions (debug builds, or -DNETCORE_CHECKS=ON): a broken thread rule logs what
// and where, then aborts, as muduo's assertInLoopThread does. Release builds compile them out.
#pragma once

#include "netcore/checks.hpp"

namespace netcore {

[[noreturn]] void check_failed(const char* what, const char* file, int line);

}  // namespace netcore

#if NETCORE_CHECKS
#define NETCORE_CHECK(condition, what) \
    ((condition) ? void() : ::netcore::check_failed(what, __FILE__, __LINE__))
#else
#define NETCORE_CHECK(condition, what) ((void)0)
#endif
