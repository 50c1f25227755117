// The chat service in-process, no sockets: five connection slots (netcore::Connection on no
// socket, driven as an engine drives it: on_open, Connection::deliver -> on_data, on_close) fed
// fuzzed byte streams, with operator kicks and notices in between. After every step each
// session's queued output is decoded and the protocol's invariants are checked: every frame
// decodes; seq per room unbroken for every member; nicks unique; boards hold only members; every
// session in exactly one state, and what the service reports matches what each client was told.
// Only ChatService's public interface is used.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>

#include "chat/frame_decoder.hpp"
#include "chat/service.hpp"
#include "chat/text_rules.hpp"
#include "fuzz_target.hpp"

namespace {

using namespace chat;
using netchat_fuzz::Input;

constexpr std::size_t kSlots = 5;

// One client connection as the tests see it: what the service told it so far.
struct Peer {
    netcore::ConnectionPtr conn;  // null, or finalized: no connection in this slot
    FrameDecoder from_server{kMaxFrame};
    bool welcomed = false, said_bye = false;
    std::string nick;
    std::map<std::string, std::uint64_t> next_seq;  // the rooms it was told it is in
    bool live() const { return conn && conn->phase() != netcore::Connection::Phase::Closed; }
};

class Harness {
  public:
    Harness() : service_(config()) {}

    // The operator shuts down: everyone gets BYE and nothing after it, and nothing is left.
    void finish() {
        service_.shutdown("fuzz over");
        settle();
        for (auto& p : peers_) {
            FUZZ_CHECK(!p.live() || p.said_bye);
            end(p, netcore::CloseReason::PeerClosed);
        }
        FUZZ_CHECK(service_.sessions().empty() && service_.rooms().empty());
    }

    void step(Input& in) {
        const std::uint8_t op = in.u8();
        Peer& p = peers_[(op >> 3) % kSlots];
        switch (op & 7) {
            case 0:
            case 1:
            case 2: {  // bytes from a client (a new connection if the slot has none)
                const auto bytes = in.bytes(in.u16() % 2048);
                if (!p.live()) open(p);
                if (p.live()) p.conn->deliver(bytes, service_);
                break;
            }
            case 3:  // the client goes away
                end(p,
                    (op & 0x80) ? netcore::CloseReason::Reset : netcore::CloseReason::PeerClosed);
                break;
            case 4: {  // the operator kicks someone
                const auto sessions = service_.sessions();
                if (!sessions.empty()) service_.kick(sessions[in.u8() % sessions.size()].nick, "");
                break;
            }
            case 5: {  // the operator's notice (the server checks its text before: issue 14)
                const std::string text = in.string(in.u8() % 64);
                if (!text.empty() && is_clean_str(text, true)) service_.notice(text);
                break;
            }
            default:  // a reconnect in this slot
                end(p, netcore::CloseReason::PeerClosed);
                open(p);
                break;
        }
        settle();
        check();
    }

  private:
    static ServiceConfig config() {
        ServiceConfig c;
        c.max_sessions = kSlots - 1;  // the last one in is turned away
        c.max_frame = 2048;
        c.rate_limit = 0;  // time plays no part: an input replays exactly
        c.handshake_timeout = c.idle_timeout = std::chrono::hours(24);
        return c;
    }

    void open(Peer& p) {
        p = Peer{};
        p.conn = std::make_shared<netcore::Connection>(next_id_++, netcore::kInvalidSocket, "fuzz",
                                                       1u << 20);
        static_cast<netcore::ConnectionHandler&>(service_).on_open(p.conn);
    }
    void end(Peer& p, netcore::CloseReason why) {
        if (!p.live()) return;
        static_cast<netcore::ConnectionHandler&>(service_).on_close(*p.conn, p.conn->finalize(why));
    }

    // What an engine does next: writes every queued frame, and closes what the service closed
    // (which may queue frames for others: until nothing is left to do).
    void settle() {
        for (bool busy = true; busy;) {
            busy = false;
            for (auto& p : peers_) {
                if (!p.live()) continue;
                for (auto out = p.conn->begin_write(); !out.empty(); out = p.conn->begin_write()) {
                    p.from_server.feed(out);
                    p.conn->end_write(out.size());
                }
                while (auto frame = p.from_server.next()) receive(p, *frame);
                FUZZ_CHECK(!p.from_server.broken());
                if (p.conn->phase() != netcore::Connection::Phase::Open) {
                    end(p, netcore::CloseReason::Requested);
                    busy = true;
                }
            }
        }
    }

    void receive(Peer& p, const DecodedFrame& frame) {
        FUZZ_CHECK(frame.error == ErrorCode::None);  // the server only sends what decodes
        FUZZ_CHECK(!p.said_bye);                     // and nothing after BYE
        const AnyMessage& msg = frame.message;
        if (auto* w = std::get_if<Welcome>(&msg)) {
            FUZZ_CHECK(!p.welcomed);
            p.welcomed = true;
            p.nick = w->nick;
        } else if (auto* j = std::get_if<Joined>(&msg)) {
            FUZZ_CHECK(p.welcomed);
            p.next_seq[j->room] = j->next_seq;
        } else if (auto* r = std::get_if<Resumed>(&msg)) {
            // The replay (next_seq .. live_seq - 1) follows, then the live traffic: one run.
            FUZZ_CHECK(p.welcomed && r->epoch != 0 && r->next_seq <= r->live_seq);
            p.next_seq[r->room] = r->next_seq;
        } else if (auto* m = std::get_if<Message>(&msg)) {
            auto it = p.next_seq.find(m->room);
            FUZZ_CHECK(it != p.next_seq.end());
            FUZZ_CHECK(m->seq == it->second);  // unbroken
            ++it->second;
        } else if (auto* l = std::get_if<Left>(&msg)) {
            FUZZ_CHECK(p.next_seq.erase(l->room) == 1);
        } else if (auto* e = std::get_if<RoomEvent>(&msg)) {
            FUZZ_CHECK(p.next_seq.count(e->room) == 1);
        } else if (auto* b = std::get_if<Board>(&msg)) {
            FUZZ_CHECK(p.next_seq.count(b->room) == 1);
        } else if (std::holds_alternative<Bye>(msg)) {
            p.said_bye = true;
        }
    }

    void check() {
        std::map<std::uint64_t, const Peer*> live;
        for (const auto& p : peers_)
            if (p.live()) live[p.conn->id()] = &p;

        const auto sessions = service_.sessions();
        FUZZ_CHECK(sessions.size() == live.size());  // every connection is exactly one session
        FUZZ_CHECK(service_.totals().sessions == sessions.size());
        std::set<std::string> nicks;
        std::map<std::string, const SessionInfo*> by_nick;
        for (const auto& s : sessions) {
            auto it = live.find(s.id);
            FUZZ_CHECK(it != live.end());
            const Peer& p = *it->second;
            // One state, and the one the client was told.
            FUZZ_CHECK(s.state != SessionState::Closing);  // closed ones were all ended
            FUZZ_CHECK((s.state == SessionState::Active) == p.welcomed);
            std::set<std::string> rooms(s.rooms.begin(), s.rooms.end());
            FUZZ_CHECK(rooms.size() == s.rooms.size());
            std::set<std::string> told;
            for (const auto& [room, seq] : p.next_seq) told.insert(room);
            FUZZ_CHECK(rooms == told);
            if (s.state == SessionState::Active) {
                FUZZ_CHECK(s.nick == p.nick && is_valid_nick(s.nick));
                FUZZ_CHECK(nicks.insert(fold_nick(s.nick)).second);  // unique, case folded
                by_nick[s.nick] = &s;
            } else {
                FUZZ_CHECK(s.rooms.empty());
            }
        }

        const auto rooms = service_.rooms();
        FUZZ_CHECK(service_.totals().rooms == rooms.size());
        std::size_t memberships = 0;
        for (const auto& r : rooms) {
            FUZZ_CHECK(is_valid_room(r.name) && !r.members.empty());
            std::set<std::string> members;
            for (const auto& nick : r.members) {
                FUZZ_CHECK(members.insert(nick).second);
                auto it = by_nick.find(nick);
                FUZZ_CHECK(it != by_nick.end());
                const auto& their = it->second->rooms;
                FUZZ_CHECK(std::find(their.begin(), their.end(), r.name) != their.end());
                // Every member saw every message of the room so far, in order.
                const Peer& p = *live.at(it->second->id);
                FUZZ_CHECK(p.next_seq.at(r.name) == r.next_seq);
            }
            memberships += members.size();
            std::set<std::string> placed;
            for (const auto& piece : r.board) {
                FUZZ_CHECK(members.count(piece.nick) == 1);  // boards hold only members
                FUZZ_CHECK(placed.insert(piece.nick).second);
                FUZZ_CHECK(piece.x < kBoardSize && piece.y < kBoardSize);
            }
        }
        std::size_t in_rooms = 0;
        for (const auto& s : sessions) in_rooms += s.rooms.size();
        FUZZ_CHECK(memberships == in_rooms);
    }

    ChatService service_;
    std::array<Peer, kSlots> peers_;
    std::uint64_t next_id_ = 1;
};

}  // namespace

NETCHAT_FUZZ_TARGET(service) {
    Input in(data, size);
    Harness harness;
    while (!in.empty()) harness.step(in);
    harness.finish();
}
