#include "trickling_client.hpp"

#include <variant>

namespace testing_support {
namespace {

using clock = std::chrono::steady_clock;

std::string echo_body(std::uint64_t i) {
    std::string s(1000, '\0');
    for (std::size_t k = 0; k < s.size(); ++k) s[k] = static_cast<char>((k * 31 + i * 7) & 0xFF);
    return s;
}

}  // namespace

TricklingClient::TricklingClient(std::uint16_t port, std::string nick, Kind kind,
                                 std::chrono::milliseconds interval,
                                 std::chrono::milliseconds lifetime)
    : nick_(std::move(nick)),
      kind_(kind),
      interval_(interval),
      end_of_life_(clock::now() + lifetime),
      client_(port) {
    client_.login(nick_);
    reader_ = std::thread([this] { read_loop(); });
    sender_ = std::thread([this] { send_loop(); });
}

TricklingClient::~TricklingClient() {
    finish(std::chrono::milliseconds(0));
}

bool TricklingClient::finish(std::chrono::milliseconds timeout) {
    stop_sending_ = true;
    if (sender_.joinable()) sender_.join();
    const auto deadline = clock::now() + timeout;
    while (answered_ < sent_ && !ended_ && !closed_ && clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop_reading_ = true;
    if (reader_.joinable()) reader_.join();
    return answered_ == sent_ && !saw_bye_ && !ended_ && !closed_ && error().empty();
}

std::chrono::milliseconds TricklingClient::worst_wait() const {
    std::lock_guard lock(mutex_);
    auto worst = worst_;
    if (!sent_at_.empty()) worst = std::max(worst, clock::now() - sent_at_.front());
    return std::chrono::duration_cast<std::chrono::milliseconds>(worst);
}

std::string TricklingClient::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void TricklingClient::fail(std::string why) {
    std::lock_guard lock(mutex_);
    if (error_.empty()) error_ = nick_ + ": " + std::move(why);
}

// Sends on schedule whatever the answers do: a stalled server must not quiet the socket.
void TricklingClient::send_loop() {
    for (std::uint64_t i = 0; !stop_sending_ && !closed_ && clock::now() < end_of_life_; ++i) {
        {
            std::lock_guard lock(mutex_);
            sent_at_.push_back(clock::now());  // before the send: the answer may beat us back
        }
        try {
            if (kind_ == Kind::Ping)
                client_.send(chat::Ping{i});
            else
                client_.send(chat::Echo{echo_body(i)});
        } catch (const std::exception&) {
            std::lock_guard lock(mutex_);
            sent_at_.pop_back();
            closed_ = true;  // the server closed the connection
            return;
        }
        ++sent_;
        std::this_thread::sleep_for(interval_);
    }
}

void TricklingClient::read_loop() {
    while (!stop_reading_) {
        auto f = client_.read_frame(std::chrono::milliseconds(100));
        if (!f) {
            if (client_.eof()) break;
            continue;
        }
        chat::AnyMessage msg;
        if (chat::decode(f->type, f->body, msg) != chat::ErrorCode::None) {
            fail("undecodable frame of type " + std::to_string(f->type));
            continue;
        }
        if (std::holds_alternative<chat::Bye>(msg)) saw_bye_ = true;
        const auto* pong = std::get_if<chat::Pong>(&msg);
        const auto* echo = std::get_if<chat::Echo>(&msg);
        if (!pong && !echo) continue;  // NOTICE, BYE, ROOM_EVENT...
        const std::uint64_t expected = answered_;
        if (pong && pong->token != expected)
            fail("PONG " + std::to_string(pong->token) + " where " + std::to_string(expected) +
                 " was due");
        if (echo && echo->body != echo_body(expected))
            fail("ECHO " + std::to_string(expected) + " came back different");
        std::lock_guard lock(mutex_);
        if (sent_at_.empty()) {
            error_ = error_.empty() ? nick_ + ": an answer nobody asked for" : error_;
            continue;
        }
        worst_ = std::max(worst_, clock::now() - sent_at_.front());
        sent_at_.pop_front();
        ++answered_;
    }
    ended_ = client_.eof();
}

}  // namespace testing_support
