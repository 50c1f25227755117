// The clients a soak mixes in to make the server clean up after them: a member that never
// reads (the server must cut it off at max_send_queue) and connections reset at every stage
// of a frame. Both run on plain sockets (raw_socket.hpp) on the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace chat_bench {

struct SlothTrial {
    bool cut_off = false;             // the server dropped it (its ROOM_EVENT left, then EOF)
    double seconds = 0;               // from the first flooded message to the cut
    std::uint64_t flooded_bytes = 0;  // said in the room until then
    std::uint64_t gaps = 0;           // seq gaps the flooder saw in the room
    std::string problem;              // empty when all went as it should
};

// A member of `room` that never reads (4 KiB receive buffer) and a flooder saying 1000-byte
// messages there until the server cuts the sloth off, at most `max_bytes` or `timeout`. The
// kernel's buffers take a few MiB before the server's queue for it starts to grow.
SlothTrial cut_off_a_slow_consumer(std::uint16_t port, const std::string& room,
                                   const std::string& nick_prefix, std::uint64_t max_bytes,
                                   std::chrono::milliseconds timeout);

// Opens a connection and resets it (RST) at stage `kind % 4`: before any byte, mid-header,
// after HELLO mid-SAY, after HELLO and JOIN `room` mid-body of a 60 KB frame. Returns an
// empty string, or why it could not.
std::string reset_mid_frame(std::uint16_t port, std::size_t kind, const std::string& room,
                            const std::string& nick);

}  // namespace chat_bench
