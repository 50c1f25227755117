#include "netcore/engine_registry.hpp"

namespace netcore {

// Each engine file defines its factory; the table below is the only place that lists them.
#ifdef _WIN32
std::unique_ptr<Engine> make_iocp_engine();
std::unique_ptr<Engine> make_event_select_engine();
std::unique_ptr<Engine> make_overlapped_event_engine();
std::unique_ptr<Engine> make_overlapped_callback_engine();
std::unique_ptr<Engine> make_async_select_engine();
std::unique_ptr<Engine> make_select_engine();
std::unique_ptr<Engine> make_nonblocking_engine();
std::unique_ptr<Engine> make_blocking_engine();
#else
std::unique_ptr<Engine> make_epoll_engine();
std::unique_ptr<Engine> make_io_uring_engine();
std::unique_ptr<Engine> make_poll_engine();
std::unique_ptr<Engine> make_select_engine();
std::unique_ptr<Engine> make_nonblocking_engine();
std::unique_ptr<Engine> make_blocking_engine();
#endif

const std::vector<EngineInfo>& engines() {
    static const std::vector<EngineInfo> table = {
#ifdef _WIN32
        {"iocp", "I/O completion port, AcceptEx, worker pool (GetQueuedCompletionStatusEx)",
         make_iocp_engine},
        {"event_select", "WSAEventSelect, groups of 63 sockets per waiting thread",
         make_event_select_engine},
        {"overlapped_event", "overlapped WSARecv/WSASend signalling events, groups of 63",
         make_overlapped_event_engine},
        {"overlapped_callback", "overlapped WSARecv/WSASend with completion routines (APCs)",
         make_overlapped_callback_engine},
        {"async_select", "WSAAsyncSelect, socket events as messages to a message-only window",
         make_async_select_engine},
        {"select", "select readiness, fd_sets rebuilt per call, FD_SETSIZE raised past 64",
         make_select_engine},
        {"nonblocking", "busy loop of non-blocking accept/recv/send, no wait call (spins a core)",
         make_nonblocking_engine},
        {"blocking", "blocking sockets, reader + writer thread per connection, acceptor thread",
         make_blocking_engine},
#else
        // Default first, then the completion engine, then from the newest readiness call back
        // to the first server ever written, so the list reads as the history of the models.
        {"epoll", "epoll readiness, edge-triggered, one loop thread", make_epoll_engine},
        {"io_uring", "io_uring completions, multishot accept and recv, one loop thread",
         make_io_uring_engine},
        {"poll",
         "poll readiness, level-triggered, pollfd array scanned per wakeup, one loop thread",
         make_poll_engine},
        {"select", "select readiness, fd_sets rebuilt per call, at most FD_SETSIZE sockets",
         make_select_engine},
        {"nonblocking", "busy loop of non-blocking accept/recv/send, no wait call (spins a core)",
         make_nonblocking_engine},
        {"blocking", "blocking sockets, reader + writer thread per connection, acceptor thread",
         make_blocking_engine},
#endif
    };
    return table;
}

std::string_view default_engine_name() {
    return engines().front().name;
}

std::unique_ptr<Engine> create_engine(std::string_view name) {
    for (const auto& info : engines())
        if (info.name == name) return info.create();
    return nullptr;
}

std::string engine_names(std::string_view separator) {
    std::string out;
    for (const auto& info : engines()) {
        if (!out.empty()) out += separator;
        out += info.name;
    }
    return out;
}

const char* platform_name() {
#ifdef _WIN32
    return "windows";
#else
    return "linux";
#endif
}

}  // namespace netcore
