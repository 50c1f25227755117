#include "chat_bench/misbehaving_clients.hpp"

#include <atomic>
#include <thread>

#include "chat/codec.hpp"
#include "chat_bench/raw_socket.hpp"

namespace chat_bench {
namespace {

using namespace std::chrono_literals;
constexpr auto kRoomEvent = static_cast<std::uint16_t>(chat::MsgType::RoomEvent);
constexpr auto kJoined = static_cast<std::uint16_t>(chat::MsgType::Joined);
constexpr auto kMessage = static_cast<std::uint16_t>(chat::MsgType::Message);

// Reads frames until `wanted` says yes; false on timeout or end of stream.
template <typename Wanted>
bool read_until(RawSocket& s, std::chrono::milliseconds timeout, Wanted wanted) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto f = s.read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!f) return false;
        if (wanted(*f)) return true;
    }
    return false;
}

std::optional<chat::RoomEvent> room_event(const RawFrame& f) {
    if (f.type != kRoomEvent) return std::nullopt;
    chat::AnyMessage msg;
    if (chat::decode(f.type, f.body, msg) != chat::ErrorCode::None) return std::nullopt;
    return std::get<chat::RoomEvent>(msg);
}

Bytes login(const std::string& nick, const std::string& room) {
    Bytes out = chat::encode(chat::Hello{chat::kProtocolVersion, nick, ""});
    if (!room.empty()) chat::encode(out, chat::Join{room});
    return out;
}

}  // namespace

SlothTrial cut_off_a_slow_consumer(std::uint16_t port, const std::string& room,
                                   const std::string& nick_prefix, std::uint64_t max_bytes,
                                   std::chrono::milliseconds timeout) {
    SlothTrial t;
    const std::string flooder_nick = nick_prefix + "flood", sloth_nick = nick_prefix + "sloth";
    try {
        RawSocket flooder(port);
        flooder.send_all(login(flooder_nick, room));
        std::uint64_t next_seq = 0;
        if (!read_until(flooder, 5s, [&](const RawFrame& f) {
                chat::AnyMessage msg;
                if (f.type != kJoined || chat::decode(f.type, f.body, msg) != chat::ErrorCode::None)
                    return false;
                next_seq = std::get<chat::Joined>(msg).next_seq;
                return true;
            })) {
            t.problem = "the flooder got no JOINED for " + room;
            return t;
        }
        RawSocket sloth(port, 4096);  // never reads
        sloth.send_all(login(sloth_nick, room));
        const auto is_sloth = [&](const RawFrame& f, chat::RoomEventKind kind) {
            const auto e = room_event(f);
            return e && e->kind == kind && e->nick == sloth_nick;
        };
        if (!read_until(flooder, 5s, [&](const RawFrame& f) {
                return is_sloth(f, chat::RoomEventKind::Joined);
            })) {
            t.problem = "the slow consumer did not join " + room;
            return t;
        }

        // The flooder reads its own messages back (it must not be cut off too) and watches
        // for the sloth leaving.
        std::atomic<bool> gone{false}, stop{false};
        std::atomic<std::uint64_t> came_back{0};  // the flooder's own messages, read back
        std::thread reader([&] {
            while (!stop) {
                const auto f = flooder.read_frame(100ms);
                if (!f) continue;
                if (is_sloth(*f, chat::RoomEventKind::Left)) gone = true;
                if (f->type != kMessage) continue;
                const auto m = parse_message(f->body);
                if (!m) continue;
                if (m->seq != next_seq) ++t.gaps;
                next_seq = m->seq + 1;
                if (m->from == flooder_nick) ++came_back;
            }
        });
        // At most kAhead messages not yet read back: the server's queue for the flooder stays
        // far below max_send_queue (it must not be cut off too), while the sloth's grows.
        constexpr std::uint64_t kBatch = 32, kAhead = 128;
        Bytes batch;
        const std::string text(1000, 'x');
        for (std::uint64_t i = 0; i < kBatch; ++i) chat::encode(batch, chat::Say{room, text});
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + timeout;
        std::uint64_t said = 0;
        while (!gone && t.flooded_bytes < max_bytes &&
               std::chrono::steady_clock::now() < deadline) {
            if (said - came_back.load() + kBatch > kAhead) {
                std::this_thread::sleep_for(200us);
                continue;
            }
            if (!flooder.send_all(batch)) {
                t.problem = "the flooder was cut off (it reads everything it is sent)";
                break;
            }
            said += kBatch;
            t.flooded_bytes += batch.size();
        }
        while (!gone && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
        t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        stop = true;
        reader.join();
        std::uint64_t drained = 0;
        const bool closed = sloth.drain_until_closed(10s, drained);
        t.cut_off = gone && closed;
        if (!t.problem.empty()) return t;
        if (!gone)
            t.problem = "the slow consumer was not cut off after " +
                        std::to_string(t.flooded_bytes >> 20) + " MiB said in its room";
        else if (!closed)
            t.problem = "the slow consumer left the room but its connection stayed open";
    } catch (const std::exception& e) {
        t.problem = std::string("slow-consumer trial: ") + e.what();
    }
    return t;
}

std::string reset_mid_frame(std::uint16_t port, std::size_t kind, const std::string& room,
                            const std::string& nick) {
    try {
        RawSocket s(port);
        Bytes out;
        switch (kind % 4) {
            case 0:  // before a byte
                break;
            case 1:  // two bytes of a header
                out = chat::encode(chat::Ping{1});
                out.resize(2);
                break;
            case 2: {  // logged in, half a SAY
                out = login(nick, "");
                const Bytes say = chat::encode(chat::Say{room, "never finished"});
                out.insert(out.end(), say.begin(), say.begin() + say.size() / 2);
                break;
            }
            default: {  // a member, half of a 60 KB ECHO
                out = login(nick, room);
                const Bytes echo = chat::encode(chat::Echo{std::string(60000, 'e')});
                out.insert(out.end(), echo.begin(), echo.begin() + echo.size() / 2);
            }
        }
        if (!s.send_all(out)) return "a reset client could not send";
        std::this_thread::sleep_for(2ms);  // let the server read the partial frame
        s.reset();
        return {};
    } catch (const std::exception& e) {
        return std::string("a reset client: ") + e.what();
    }
}

}  // namespace chat_bench
