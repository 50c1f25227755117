// A chat client's protocol state, without sockets or windows: it builds the frames to send,
// digests the frames received, and keeps what a client shows (rooms, members, messages,
// gaps in seq, boards, whispers, notices, round-trip time). The GUI client and the load
// generator drive it; the tests drive it with bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chat/codec.hpp"
#include "chat/frame_decoder.hpp"

namespace chat {

enum class ClientState { Disconnected, Handshake, Ready, Refused, Closed };

struct ChatLine {
    std::uint64_t seq = 0;  // 0 for local lines (joins, leaves, gap markers, notices)
    std::uint64_t server_time_us = 0;
    std::string from, text;
    // Event: someone joined or left, or the connection dropped. Gap: messages lost (seq), or a
    // room whose history started over. Notice: the server operator's broadcast, copied into
    // every room so it is not missed. Divider: where replayed history ends and live begins.
    enum class Kind { Message, Event, Gap, Notice, Divider } kind = Kind::Message;
};

struct RoomView {
    std::string name;
    std::vector<std::string> members;
    std::deque<ChatLine> lines;  // newest last, at most kMaxLines
    std::uint64_t next_seq = 0;  // the seq expected next
    std::uint64_t epoch = 0;     // the room's history as of the last RESUMED (0: never resumed)
    std::uint64_t live_seq = 0;  // from the last RESUMED: seq below it was replayed history
    std::uint64_t missed = 0;    // messages lost to gaps, in total
    // While a RESUMED's replay is arriving: the last replayed seq, after which the divider
    // goes (0: no replay under way), how many messages it replays, and whether they are
    // scrollback of a room new to us (or what we missed while away).
    std::uint64_t divider_after = 0;
    std::uint64_t replayed = 0;
    bool replay_fresh = false;
    std::vector<Piece> board;
    std::uint64_t version = 0;  // bumped on every change, so a view copies only changed rooms
    static constexpr std::size_t kMaxLines = 2000;
};

struct Refusal {
    ErrorCode code = ErrorCode::None;
    std::string text;  // what a user should read
};

class ClientSession {
  public:
    using Clock = std::chrono::steady_clock;

    // ---- frames to send (a local check first: empty or oversize text is refused here) ----
    Bytes hello(const std::string& nick, const std::string& password);
    Bytes join(const std::string& room) const { return encode(Join{room}); }
    Bytes leave(const std::string& room) const { return encode(Leave{room}); }
    // Revision 2: join `room` and replay what came after `after_seq` in `epoch` (0: none known,
    // the latest `max_replay` messages as scrollback).
    Bytes resume(const std::string& room, std::uint64_t epoch, std::uint64_t after_seq,
                 std::uint16_t max_replay) const {
        return encode(Resume{room, epoch, after_seq, max_replay});
    }
    std::optional<Bytes> say(const std::string& room, const std::string& text) const;
    std::optional<Bytes> whisper(const std::string& to, const std::string& text) const;
    Bytes move(const std::string& room, int x, int y) const;
    Bytes ping(Clock::time_point now);
    Bytes list_rooms() const { return encode(ListRooms{}); }
    Bytes info_request() const { return encode(InfoReq{}); }
    Bytes bye(const std::string& reason) const { return encode(Bye{reason}); }

    // Parses every whole frame of `bytes` (keeping a partial tail) and updates the state. A
    // frame that does not decode is skipped; a frame size below 4 closes the session.
    // Returns the messages decoded, in order, for callers that want to react to them.
    std::vector<AnyMessage> feed(std::span<const std::byte> bytes,
                                 Clock::time_point now = Clock::now());

    // Enters `room` the best way the server allows: RESUME (revision 2) with the last seq
    // shown in the room's epoch, or kScrollback messages of scrollback for a room not known
    // yet; JOIN once this connection's server answered RESUME with ERROR unknown_type (a
    // revision 1 server), or for a room we are in already. The RESUME is remembered, so its
    // refusal can be answered with a JOIN (take_outgoing).
    Bytes enter(const std::string& room);
    // Frames the session wants sent after a feed(): the JOINs that replace RESUMEs a
    // revision 1 server did not know.
    std::vector<Bytes> take_outgoing();
    // False once this connection's server refused RESUME; true until then.
    bool resume_supported() const { return resume_supported_; }

    // The transport went away: rooms are kept (to rejoin and mark gaps), state is reset.
    void disconnected();
    // Frames that re-enter every room we were in (after a reconnect's WELCOME), with enter().
    std::vector<Bytes> rejoin_frames();
    // Why the stream cannot be read any more (a frame size out of range): set with
    // state Closed; empty otherwise.
    const std::string& broken_stream() const { return broken_stream_; }

    static constexpr std::uint16_t kScrollback = 50;  // messages replayed on a fresh join

    ClientState state() const { return state_; }
    const std::string& nick() const { return nick_; }
    const std::string& server_name() const { return server_name_; }
    const std::string& engine() const { return engine_; }
    const std::map<std::string, RoomView>& rooms() const { return rooms_; }
    const std::vector<RoomSummary>& room_list() const { return room_list_; }
    const std::deque<Whispered>& whispers() const { return whispers_; }
    std::uint64_t whispers_received() const { return whispers_total_; }  // ever, for views
    const std::deque<std::string>& notices() const { return notices_; }
    std::uint64_t notices_received() const { return notices_total_; }  // ever, for views
    const std::optional<Refusal>& refusal() const { return refusal_; }
    const std::deque<Error>& errors() const { return errors_; }
    std::optional<std::chrono::microseconds> rtt() const { return rtt_; }
    std::uint64_t frames_in() const { return frames_in_; }
    std::uint64_t frames_out() const { return frames_out_; }
    void count_sent(std::uint64_t frames = 1) { frames_out_ += frames; }

    // The user-facing text for a refusal code (nick taken, bad password, server full...).
    static std::string explain(ErrorCode code, const std::string& detail);

  private:
    void apply(const AnyMessage& msg, Clock::time_point now);
    void on_message(const Message& m);
    void on_joined(const Joined& j);
    void on_resumed(const Resumed& r);
    RoomView& room(const std::string& name);
    void on_resume_refused(const Error& e);
    static void add_line(RoomView& r, ChatLine line);
    static void add_gap(RoomView& r, std::uint64_t until, const std::string& why);

    ClientState state_ = ClientState::Disconnected;
    std::string nick_, server_name_, engine_;
    std::map<std::string, RoomView> rooms_;
    std::vector<RoomSummary> room_list_;
    std::deque<Whispered> whispers_;
    std::uint64_t whispers_total_ = 0;
    std::deque<std::string> notices_;
    std::uint64_t notices_total_ = 0;
    std::deque<Error> errors_;
    std::optional<Refusal> refusal_;
    std::uint64_t next_ping_token_ = 1;
    std::map<std::uint64_t, Clock::time_point> pings_;
    std::optional<std::chrono::microseconds> rtt_;
    std::uint64_t frames_in_ = 0, frames_out_ = 0;
    FrameDecoder decoder_;
    // This connection: RESUMEs sent and not answered yet (answers come in order), whether the
    // server serves RESUME, and frames to send in answer to what was received.
    std::deque<std::string> resumes_pending_;
    bool resume_supported_ = true;
    std::vector<Bytes> outgoing_;
    std::string broken_stream_;
};

}  // namespace chat
