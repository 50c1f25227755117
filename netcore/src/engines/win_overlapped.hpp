// Pieces the Windows overlapped engines (overlapped_event, overlapped_callback, iocp) share:
// AcceptEx and its address parsing, overlapped-capable sockets, posting a zero-byte receive or
// a send and collecting its result.
#pragma once

// platform.hpp brings winsock2.h, which must come before mswsock.h.
#include "netcore/platform.hpp"
// AcceptEx, GetAcceptExSockaddrs:
#include <mswsock.h>

#include <cstddef>
#include <span>
#include <string>

namespace netcore::win {

// AcceptEx and GetAcceptExSockaddrs, looked up through WSAIoctl as Microsoft recommends
// (mswsock's exports only forward to the provider's entry points).
struct AcceptExApi {
    LPFN_ACCEPTEX accept_ex = nullptr;
    LPFN_GETACCEPTEXSOCKADDRS sockaddrs = nullptr;
};
const AcceptExApi& acceptex_api(SOCKET any_tcp_socket);

int socket_family(SOCKET s);
SOCKET make_overlapped_socket(int family);

// One AcceptEx in flight: the socket it fills and the address buffer (the caller keeps the
// OVERLAPPED where its completion mechanism wants it).
struct AcceptSlot {
    SOCKET s = INVALID_SOCKET;
    static constexpr DWORD kAddrLen = sizeof(sockaddr_storage) + 16;
    char addresses[2 * kAddrLen] = {};
};

// Creates the accept socket and posts AcceptEx (no data wanted with the accept: a client
// that waits for the server to speak first must not stall). `ov` is cleared except hEvent.
// True when a completion will come; false with `error` set (the slot's socket is then closed).
bool post_accept(SOCKET listener, int family, AcceptSlot& slot, OVERLAPPED& ov, int& error);

// After AcceptEx completed: SO_UPDATE_ACCEPT_CONTEXT (without it getpeername, shutdown and
// many options fail on the new socket), non-blocking mode for the readiness engines that may
// adopt it later, TCP_NODELAY. Returns the socket (the slot lets go of it) and its peer.
SOCKET finish_accept(SOCKET listener, AcceptSlot& slot, std::string& peer);

// A zero-byte WSARecv on `ov`: it finishes once data, the peer's FIN or an error is there,
// and pins no buffer meanwhile; the engine then reads with recv() into its thread's scratch
// buffer (the socket is non-blocking). A WSASend of `bytes` (at most 1 MiB of them). `ov` is
// cleared first but keeps its hEvent; `done` is a completion routine or nullptr. True when a
// completion will come (finished at once or pending); false with WSAGetLastError() set.
bool start_zero_byte_recv(SOCKET s, OVERLAPPED& ov,
                          LPWSAOVERLAPPED_COMPLETION_ROUTINE done = nullptr);
bool start_send(SOCKET s, std::span<const std::byte> bytes, OVERLAPPED& ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE done = nullptr);

// Cancels the socket's operation on `only`, or every operation on the socket (nullptr). Each
// still completes (with an error when it was cancelled in time).
inline void cancel(SOCKET s, OVERLAPPED* only) {
    ::CancelIoEx(reinterpret_cast<HANDLE>(s), only);
}

// The result of a finished operation, read from its OVERLAPPED without waiting.
bool collect(SOCKET s, OVERLAPPED& ov, DWORD& bytes);

inline bool completed(const OVERLAPPED& ov) {
    return HasOverlappedIoCompleted(&ov);  // reads the status word, no system call
}
inline bool succeeded(const OVERLAPPED& ov) {
    return static_cast<LONG>(ov.Internal) >= 0;  // an NTSTATUS: errors have the top bit set
}

// An event handle with the low bit set: the I/O still signals the event, but its completion
// is not queued to a completion port the socket may be bound to (by an earlier iocp engine).
inline HANDLE event_without_port(HANDLE event) {
    return reinterpret_cast<HANDLE>(reinterpret_cast<ULONG_PTR>(event) | 1);
}

}  // namespace netcore::win
