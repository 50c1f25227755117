// The client's protocol state (what client_gui parses) fed a hostile server's stream, with the
// user's own actions in between. The same stream is fed to a second session in one piece per
// action: both must end in the same state. What a session keeps stays within its bounds.
#include "chat/client_session.hpp"
#include "fuzz_target.hpp"

namespace {

using namespace chat;
using netchat_fuzz::Input;

void check_bounds(const ClientSession& s) {
    for (const auto& [name, room] : s.rooms()) {
        FUZZ_CHECK(room.name == name);
        FUZZ_CHECK(room.lines.size() <= RoomView::kMaxLines);
    }
    FUZZ_CHECK(s.whispers().size() <= 500 && s.whispers().size() <= s.whispers_received());
    FUZZ_CHECK(s.notices().size() <= 100 && s.notices().size() <= s.notices_received());
    FUZZ_CHECK(s.errors().size() <= 50);
    if (s.state() == ClientState::Refused) FUZZ_CHECK(s.refusal().has_value());
}

bool same_view(const ClientSession& a, const ClientSession& b) {
    if (a.state() != b.state() || a.nick() != b.nick() || a.server_name() != b.server_name() ||
        a.engine() != b.engine() || a.frames_in() != b.frames_in() ||
        a.whispers_received() != b.whispers_received() ||
        a.notices_received() != b.notices_received() || a.rooms().size() != b.rooms().size() ||
        a.errors().size() != b.errors().size() || a.rtt() != b.rtt())
        return false;
    for (auto ia = a.rooms().begin(), ib = b.rooms().begin(); ia != a.rooms().end(); ++ia, ++ib) {
        const RoomView &x = ia->second, &y = ib->second;
        if (x.name != y.name || x.members != y.members || x.next_seq != y.next_seq ||
            x.missed != y.missed || x.board != y.board || x.epoch != y.epoch ||
            x.live_seq != y.live_seq || x.lines.size() != y.lines.size())
            return false;
    }
    return true;
}

}  // namespace

NETCHAT_FUZZ_TARGET(client_session) {
    Input in(data, size);
    ClientSession chunked, whole;
    const auto t0 = ClientSession::Clock::time_point{} + std::chrono::hours(1);
    auto now = t0;
    // Each step: one action byte, then (for server bytes) a length and the bytes.
    while (!in.empty()) {
        const std::uint8_t action = in.u8();
        now += std::chrono::milliseconds(action);
        switch (action % 8) {
            case 0:  // the transport dropped
                chunked.disconnected(), whole.disconnected();
                break;
            case 1:  // a login (after a reconnect, say)
                FUZZ_CHECK(chunked.hello("ada", "") == whole.hello("ada", ""));
                break;
            case 2:  // a ping, whose PONG may come later in the stream
                FUZZ_CHECK(chunked.ping(now) == whole.ping(now));
                break;
            default: {  // server bytes, read by one session in pieces and by the other at once
                const auto bytes = in.bytes(in.u16() % 4096);
                const auto got = whole.feed(bytes, now);
                std::size_t decoded = chunked.feed(bytes.first(0), now).size();  // as `whole`
                for (std::size_t at = 0, step = action / 8 + 1; at < bytes.size(); at += step)
                    decoded +=
                        chunked.feed(bytes.subspan(at, std::min(step, bytes.size() - at)), now)
                            .size();
                FUZZ_CHECK(decoded == got.size());
                break;
            }
        }
        check_bounds(chunked);
        check_bounds(whole);
        FUZZ_CHECK(same_view(chunked, whole));
        ClientSession rejoining = chunked;  // re-entering remembers RESUMEs: on a copy
        for (const auto& frame : rejoining.rejoin_frames()) FUZZ_CHECK(frame.size() <= kMaxFrame);
        for (const auto& frame : rejoining.take_outgoing()) FUZZ_CHECK(frame.size() <= kMaxFrame);
    }
}
