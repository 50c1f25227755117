// A session driven without sockets, for the service's unit tests: input goes through
// Connection::deliver (the same path every engine uses) and output is read back from the
// connection's queue.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "chat/service.hpp"

namespace chat_test {

using namespace chat;

class Peer {
  public:
    // `peer` is the address netcore would report ("10.0.0.1:5000"); the limits key on it.
    Peer(ChatService& service, std::uint64_t id, std::string peer = "")
        : service_(service),
          conn_(std::make_shared<netcore::Connection>(
              id, netcore::kInvalidSocket, peer.empty() ? "test:" + std::to_string(id) : peer,
              8u << 20)) {
        service_.on_open(conn_);
    }
    ~Peer() { close(); }

    void feed(std::span<const std::byte> bytes) { conn_->deliver(bytes, service_); }
    template <class T>
    void send(const T& msg) {
        feed(encode(msg));
    }

    // Every frame the service queued for this peer so far.
    std::vector<AnyMessage> drain() {
        std::vector<AnyMessage> out;
        for (;;) {
            const auto bytes = conn_->begin_write();
            if (bytes.empty()) break;
            std::size_t at = 0;
            while (at + kHeaderSize <= bytes.size()) {
                const auto h = read_header(bytes.data() + at);
                AnyMessage msg;
                EXPECT_EQ(
                    decode(h.type, bytes.subspan(at + kHeaderSize, h.size - kHeaderSize), msg),
                    ErrorCode::None);
                out.push_back(std::move(msg));
                at += h.size;
            }
            conn_->end_write(bytes.size());
        }
        return out;
    }
    template <class T>
    T only() {
        auto msgs = drain();
        EXPECT_EQ(msgs.size(), 1u);
        if (msgs.empty()) throw std::runtime_error("no frame");
        return std::get<T>(msgs.front());
    }
    ErrorCode error_code() { return only<Error>().code; }
    Welcome login(const std::string& nick, const std::string& pw = "") {
        send(Hello{1, nick, pw});
        return only<Welcome>();
    }
    bool closing() const { return conn_->phase() != netcore::Connection::Phase::Open; }
    // The peer goes away (as an engine reports a closed socket).
    void close() {
        if (conn_->phase() != netcore::Connection::Phase::Closed)
            service_.on_close(*conn_, conn_->finalize(netcore::CloseReason::PeerClosed));
    }
    netcore::Connection& conn() { return *conn_; }

  private:
    ChatService& service_;
    netcore::ConnectionPtr conn_;
};

inline ServiceConfig config() {
    ServiceConfig c;
    c.rate_limit = 0;
    return c;
}

inline Bytes frame(std::uint16_t size, std::uint16_t type, std::size_t body = 0) {
    Bytes f{std::byte(size & 0xFF), std::byte(size >> 8), std::byte(type & 0xFF),
            std::byte(type >> 8)};
    f.resize(4 + body);
    return f;
}

}  // namespace chat_test
