// Engines by canonical name (docs/protocol.md), like libevent's eventop table.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netcore/engine.hpp"

namespace netcore {

struct EngineInfo {
    std::string_view name;
    std::string_view model;  // one line on the I/O model
    std::unique_ptr<Engine> (*create)();
};

const std::vector<EngineInfo>& engines();  // this platform's engines, default first
std::string_view default_engine_name();
std::unique_ptr<Engine> create_engine(std::string_view name);  // nullptr when unknown
std::string engine_names(std::string_view separator = ", ");
const char* platform_name();

}  // namespace netcore
