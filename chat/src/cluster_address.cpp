#include "chat/cluster_address.hpp"

#include <charconv>

namespace chat {
namespace {

// A decimal number in lo..hi, all of `text`.
std::optional<unsigned long> whole(std::string_view text, unsigned long lo, unsigned long hi) {
    unsigned long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
        return std::nullopt;
    return v;
}

}  // namespace

std::string RedisAddress::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
           std::to_string(db);
}

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error) {
    constexpr std::string_view scheme = "redis://";
    if (url.substr(0, scheme.size()) != scheme) {
        error = "expected redis://HOST:PORT[/DB]";
        return std::nullopt;
    }
    std::string_view rest = url.substr(scheme.size());
    RedisAddress out;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const auto db = whole(rest.substr(slash + 1), 0, 15);
        if (!db) {
            error = "the database after / must be 0..15 (Redis' default count)";
            return std::nullopt;
        }
        out.db = static_cast<unsigned>(*db);
        rest = rest.substr(0, slash);
    }
    std::string_view host = rest, port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            error = "an IPv6 address needs its closing ]";
            return std::nullopt;
        }
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            error = "expected :PORT after the ]";
            return std::nullopt;
        }
        port = rest.empty() ? std::string_view() : rest.substr(1);
    } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty()) {
        error = "the host is missing";
        return std::nullopt;
    }
    if (host.find_first_of(" \t@?#") != std::string_view::npos) {
        error = "the host '" + std::string(host) +
                "' is not a host name or address (user names, passwords and options are not "
                "supported)";
        return std::nullopt;
    }
    if (!port.empty() || rest.find(':') != std::string_view::npos) {
        const auto p = whole(port, 1, 65535);
        if (!p) {
            error = "the port must be 1..65535";
            return std::nullopt;
        }
        out.port = static_cast<std::uint16_t>(*p);
    }
    out.host = std::string(host);
    return out;
}

bool cluster_supported() {
#if defined(NETCHAT_HAVE_CLUSTER)
    return true;
#else
    return false;
#endif
}

std::string node_name_problem(std::string_view name) {
    if (name.empty() || name.size() > 64) return "a node name is 1..64 bytes";
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-' ||
                        c == '[' || c == ']';
        if (!ok)
            return "a node name has only letters, digits and . _ : - [ ] ('" + std::string(1, c) +
                   "' is not allowed)";
    }
    return {};
}

}  // namespace chat
