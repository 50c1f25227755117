// A plain blocking TCP socket to misbehave with on purpose (soak): a client that never reads,
// one that resets mid-frame. netcore's client always reads and always closes politely.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "chat/protocol.hpp"
#include "chat_bench/wire.hpp"

namespace chat_bench {

struct RawFrame {
    std::uint16_t type = 0;
    Bytes body;
};

class RawSocket {
  public:
    // Connects to 127.0.0.1:port; `receive_buffer` > 0 shrinks SO_RCVBUF before connecting (a
    // small window makes a non-reading client's backlog pile up at the server, not here).
    // Throws std::runtime_error when it cannot.
    explicit RawSocket(std::uint16_t port, int receive_buffer = 0);
    ~RawSocket();
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    bool send_all(std::span<const std::byte> bytes);
    // The next whole frame; nullopt on timeout, end of stream or error.
    std::optional<RawFrame> read_frame(std::chrono::milliseconds timeout);
    // Reads and discards until the server closes (true) or `timeout` passes (false).
    bool drain_until_closed(std::chrono::milliseconds timeout, std::uint64_t& bytes);
    void reset();  // SO_LINGER 0, then close: the peer gets RST, not FIN
    void close();

  private:
    bool fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    Bytes buffer_;
};

}  // namespace chat_bench
