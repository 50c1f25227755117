#include "win_overlapped.hpp"

#include <algorithm>
#include <mutex>

#include "netcore/socket_ops.hpp"

namespace netcore::win {

namespace {
// Clears an OVERLAPPED for its next operation. The event engines keep their event in hEvent
// across operations, the completion-routine engine its context.
void reset(OVERLAPPED& ov) {
    const HANDLE event = ov.hEvent;
    ov = OVERLAPPED{};
    ov.hEvent = event;
}

bool started(int rc) {
    return rc == 0 || ::WSAGetLastError() == WSA_IO_PENDING;
}
}  // namespace

const AcceptExApi& acceptex_api(SOCKET any_tcp_socket) {
    static AcceptExApi api;
    static std::once_flag once;
    std::call_once(once, [&] {
        GUID accept_id = WSAID_ACCEPTEX;
        GUID addrs_id = WSAID_GETACCEPTEXSOCKADDRS;
        DWORD bytes = 0;
        ::WSAIoctl(any_tcp_socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &accept_id, sizeof accept_id,
                   &api.accept_ex, sizeof api.accept_ex, &bytes, nullptr, nullptr);
        ::WSAIoctl(any_tcp_socket, SIO_GET_EXTENSION_FUNCTION_POINTER, &addrs_id, sizeof addrs_id,
                   &api.sockaddrs, sizeof api.sockaddrs, &bytes, nullptr, nullptr);
    });
    return api;
}

int socket_family(SOCKET s) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return AF_INET;
    return ss.ss_family;
}

SOCKET make_overlapped_socket(int family) {
    return ::WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
}

bool post_accept(SOCKET listener, int family, AcceptSlot& slot, OVERLAPPED& ov, int& error) {
    const AcceptExApi& api = acceptex_api(listener);
    if (!api.accept_ex) {
        error = WSAEOPNOTSUPP;
        return false;
    }
    slot.s = make_overlapped_socket(family);
    if (slot.s == INVALID_SOCKET) {
        error = ::WSAGetLastError();
        return false;
    }
    reset(ov);
    DWORD received = 0;
    if (api.accept_ex(listener, slot.s, slot.addresses, 0, AcceptSlot::kAddrLen,
                      AcceptSlot::kAddrLen, &received, &ov))
        return true;
    error = ::WSAGetLastError();
    if (error == ERROR_IO_PENDING) return true;
    ::closesocket(slot.s);
    slot.s = INVALID_SOCKET;
    return false;
}

SOCKET finish_accept(SOCKET listener, AcceptSlot& slot, std::string& peer) {
    const SOCKET s = slot.s;
    slot.s = INVALID_SOCKET;
    ::setsockopt(s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, reinterpret_cast<const char*>(&listener),
                 sizeof listener);
    sockaddr* local = nullptr;
    sockaddr* remote = nullptr;
    int local_len = 0, remote_len = 0;
    acceptex_api(listener).sockaddrs(slot.addresses, 0, AcceptSlot::kAddrLen, AcceptSlot::kAddrLen,
                                     &local, &local_len, &remote, &remote_len);
    peer = remote ? format_address(remote) : std::string("?");
    set_nonblocking(s, true);
    set_nodelay(s);
    return s;
}

bool start_zero_byte_recv(SOCKET s, OVERLAPPED& ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
    reset(ov);
    WSABUF none{0, nullptr};
    DWORD flags = 0;
    return started(::WSARecv(s, &none, 1, nullptr, &flags, &ov, done));
}

bool start_send(SOCKET s, std::span<const std::byte> bytes, OVERLAPPED& ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
    reset(ov);
    // At most 1 MiB per send: bounds the memory one operation pins, and fits WSABUF's ULONG.
    const auto len = static_cast<ULONG>(std::min<std::size_t>(bytes.size(), 1u << 20));
    // WSASend does not write through the pointer; WSABUF just has no const.
    WSABUF wsabuf{len, const_cast<char*>(reinterpret_cast<const char*>(bytes.data()))};
    return started(::WSASend(s, &wsabuf, 1, nullptr, 0, &ov, done));
}

bool collect(SOCKET s, OVERLAPPED& ov, DWORD& bytes) {
    DWORD flags = 0;
    return ::WSAGetOverlappedResult(s, &ov, &bytes, FALSE, &flags) != FALSE;
}

}  // namespace netcore::win
