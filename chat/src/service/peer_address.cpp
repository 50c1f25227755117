#include "peer_address.hpp"

namespace chat::detail {

std::string peer_host(std::string_view peer) {
    std::string_view host = peer;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        host = host.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        host = host.substr(0, colon);
    }
    constexpr std::string_view kMapped = "::ffff:";
    if (host.size() > kMapped.size() && host.substr(0, kMapped.size()) == kMapped &&
        host.find('.') != std::string_view::npos)
        host.remove_prefix(kMapped.size());
    return std::string(host);
}

bool is_loopback(std::string_view host) {
    return host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace chat::detail
