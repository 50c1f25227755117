// AcceptEx for the engines that wait on event objects (overlapped_event's acceptor thread,
// overlapped_callback's alertable wait): a few accepts always posted, each with its own event
// in its OVERLAPPED, so one wait on those events covers them all; kPosted on every listener
// (kMaxListeners of them: 32 events, within a wait's 64). iocp posts its accepts to its port
// instead.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "netcore/engine.hpp"
#include "win_overlapped.hpp"

namespace netcore::win {

class EventAccepts {
  public:
    static constexpr int kPosted = 4;  // accepts kept posted on each listener

    explicit EventAccepts(const Listeners& listeners, int per_listener = kPosted);
    ~EventAccepts();  // after cancel() and every completion: no AcceptEx may be in flight
    EventAccepts(const EventAccepts&) = delete;
    EventAccepts& operator=(const EventAccepts&) = delete;

    // What to wait on: one event per accept.
    const std::vector<WSAEVENT>& events() const { return events_; }
    // Posts every accept not in flight; returns how many AcceptEx calls were made.
    std::size_t post_all();
    // Collects the finished accepts: each accepted socket goes to `accepted(socket, peer)`
    // (a failed one is closed), and the accept is posted again when `again`. Returns the
    // accepts collected.
    template <class Accepted>
    std::size_t collect(bool again, Accepted&& accepted) {
        std::size_t n = 0;
        for (auto& a : slots_) {
            if (!a.posted || !completed(a.ov)) continue;
            ++n;
            std::string peer;
            const SOCKET s = take(a, peer);
            if (s != INVALID_SOCKET) accepted(s, std::move(peer));
            if (again) post(a);
        }
        return n;
    }
    // Cancels every accept in flight (their completions still come: collect them).
    void cancel();
    // Cancels, then waits (`limit` in all) for each completion; what was accepted all the
    // same goes to `accepted` (the connection is handed over with the others). False when a
    // cancelled accept never completed: the system may still write into this object, which
    // the caller must then leak rather than destroy.
    template <class Accepted>
    bool cancel_and_wait(Accepted&& accepted, DWORD limit_ms) {
        cancel();
        const ULONGLONG deadline = ::GetTickCount64() + limit_ms;
        for (auto& a : slots_) {
            if (!a.posted) continue;
            const ULONGLONG now = ::GetTickCount64();
            const DWORD left = now < deadline ? static_cast<DWORD>(deadline - now) : 0;
            if (::WaitForSingleObject(a.event, left) != WAIT_OBJECT_0) return false;
            std::string peer;
            if (const SOCKET s = take(a, peer); s != INVALID_SOCKET) accepted(s, std::move(peer));
        }
        return true;
    }
    std::size_t posted() const;

  private:
    struct Slot {
        SOCKET listener = INVALID_SOCKET;  // the one this accept is posted on
        int family = AF_INET;
        AcceptSlot slot;
        OVERLAPPED ov{};
        WSAEVENT event = WSA_INVALID_EVENT;
        bool posted = false;
    };
    bool post(Slot& a);
    SOCKET take(Slot& a, std::string& peer);  // INVALID_SOCKET when the accept failed

    std::vector<Slot> slots_;
    std::vector<WSAEVENT> events_;
};

}  // namespace netcore::win
