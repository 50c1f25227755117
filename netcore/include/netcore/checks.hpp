// Whether this build of netcore asserts its thread rules (connection.hpp's table): debug
// builds do, and any build configured with -DNETCORE_CHECKS=ON.
#pragma once

namespace netcore {

bool debug_checks_enabled();

}  // namespace netcore
