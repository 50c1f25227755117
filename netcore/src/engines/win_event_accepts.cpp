#include "win_event_accepts.hpp"

#include <spdlog/spdlog.h>

#include "netcore/socket_ops.hpp"

namespace netcore::win {

EventAccepts::EventAccepts(const Listeners& listeners, int per_listener)
    : slots_(listeners.size() * static_cast<std::size_t>(per_listener)) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& a = slots_[i];
        a.listener = listeners[i / static_cast<std::size_t>(per_listener)];
        a.family = socket_family(a.listener);
        a.event = ::WSACreateEvent();
        a.ov.hEvent = event_without_port(a.event);  // nothing to a port the listener may know
        events_.push_back(a.event);
    }
}

EventAccepts::~EventAccepts() {
    for (auto& a : slots_) ::WSACloseEvent(a.event);
}

std::size_t EventAccepts::post_all() {
    std::size_t calls = 0;
    for (auto& a : slots_)
        if (!a.posted) {
            post(a);
            ++calls;
        }
    return calls;
}

bool EventAccepts::post(Slot& a) {
    int error = 0;
    a.posted = post_accept(a.listener, a.family, a.slot, a.ov, error);
    if (!a.posted)
        spdlog::error("cannot post AcceptEx: {}; {} of {} accepts stay posted",
                      socket_error_text(error), posted(), slots_.size());
    return a.posted;
}

SOCKET EventAccepts::take(Slot& a, std::string& peer) {
    ::WSAResetEvent(a.event);
    a.posted = false;
    DWORD bytes = 0;
    if (!win::collect(a.listener, a.ov, bytes)) {
        ::closesocket(a.slot.s);
        a.slot.s = INVALID_SOCKET;
        return INVALID_SOCKET;
    }
    return finish_accept(a.listener, a.slot, peer);
}

void EventAccepts::cancel() {
    for (auto& a : slots_)
        if (a.posted) ::CancelIoEx(reinterpret_cast<HANDLE>(a.listener), &a.ov);
}

std::size_t EventAccepts::posted() const {
    std::size_t n = 0;
    for (const auto& a : slots_) n += a.posted ? 1 : 0;
    return n;
}

}  // namespace netcore::win
