#include "cluster_event.hpp"

#include <charconv>
#include <vector>

namespace chat::cluster {
namespace {

std::uint64_t number(std::string_view s) {
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

// Splits into exactly `n` fields, the last one taking the rest.
bool split(std::string_view text, std::size_t n, std::vector<std::string_view>& out) {
    out.clear();
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const auto at = text.find(kUnitSeparator);
        if (at == std::string_view::npos) return false;
        out.push_back(text.substr(0, at));
        text.remove_prefix(at + 1);
    }
    out.push_back(text);
    return true;
}

}  // namespace

std::optional<RoomEvent> parse_event(std::string_view text) {
    std::vector<std::string_view> f;
    if (!split(text, 7, f) || f[2].size() != 1) return std::nullopt;
    RoomEvent e;
    e.ord = number(f[0]);
    e.seq = number(f[1]);
    e.kind = f[2][0];
    e.token = std::string(f[3]);
    e.time_us = number(f[4]);
    e.a = std::string(f[5]);
    e.b = std::string(f[6]);
    if (e.ord == 0) return std::nullopt;
    return e;
}

std::optional<std::pair<std::uint64_t, RoomEvent>> parse_published(std::string_view text) {
    const auto at = text.find(kUnitSeparator);
    if (at == std::string_view::npos) return std::nullopt;
    auto event = parse_event(text.substr(at + 1));
    if (!event) return std::nullopt;
    return std::make_pair(number(text.substr(0, at)), std::move(*event));
}

detail::OrderedChange RoomEvent::to_change() const {
    using namespace detail;
    switch (kind) {
        case 'S':
            return {seq, Said{a, b, time_us}};
        case 'E':
            return {0, Entered{a, std::nullopt}};
        case 'X':
            return {0, Exited{a, b == "A" ? ExitCause::Asked : ExitCause::Disconnected}};
        default: {
            Moved m{a, 0, 0};
            const auto space = b.find(' ');
            if (space != std::string::npos) {
                m.x = static_cast<std::uint8_t>(number(std::string_view(b).substr(0, space)));
                m.y = static_cast<std::uint8_t>(number(std::string_view(b).substr(space + 1)));
            }
            return {0, m};
        }
    }
}

ChangeArgs change_args(const detail::RoomChange& change) {
    using namespace detail;
    if (const auto* s = std::get_if<Said>(&change)) return {'S', s->from, s->text};
    if (const auto* e = std::get_if<Entered>(&change)) return {'E', e->nick, ""};
    if (const auto* x = std::get_if<Exited>(&change))
        return {'X', x->nick, x->cause == ExitCause::Asked ? "A" : "D"};
    const auto& m = std::get<Moved>(change);
    return {'M', m.nick, std::to_string(m.x) + " " + std::to_string(m.y)};
}

}  // namespace chat::cluster
