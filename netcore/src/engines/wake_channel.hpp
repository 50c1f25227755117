// The wake-up of a loop that sleeps in a descriptor wait (epoll, poll, select): a descriptor
// the loop watches and other threads make readable. An eventfd on Linux; Windows' select()
// takes only sockets, so there a connected pair of loopback sockets.
#pragma once

#include "netcore/platform.hpp"

namespace netcore {

class WakeChannel {
  public:
    WakeChannel() = default;
    ~WakeChannel();
    WakeChannel(const WakeChannel&) = delete;
    WakeChannel& operator=(const WakeChannel&) = delete;

    // 0, or the error that kept it from opening.
    int open();
    socket_t handle() const { return in_; }  // what the loop watches for input
    void signal();                           // any thread
    void drain();                            // the loop, once the handle fired

  private:
    socket_t in_ = kInvalidSocket;
#ifdef _WIN32
    socket_t out_ = kInvalidSocket;  // the other end of the pair
#endif
};

}  // namespace netcore
