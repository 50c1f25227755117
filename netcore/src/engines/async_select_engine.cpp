// async_select: WSAAsyncSelect turns socket events into window messages. A Poller under the
// readiness loop: its wait pumps the loop thread's queue for a message-only window (HWND_MESSAGE:
// never shown, no desktop needed). One thread, no handle limit, every event through the queue.
//
// - FD_READ and FD_WRITE are re-enabled only by recv and send, so to the loop the model is
//   edge-triggered: it reads until a short read, carries a connection past its read budget,
//   and resumes by hand a read put off for backpressure (the seeds' recvdelayed: no recv was
//   made, so no FD_READ would come again). FD_WRITE comes once on registration, then only
//   after a send hit WSAEWOULDBLOCK.
// - FD_CLOSE may come with data still unread, and the error travels in the message
//   (WSAGETSELECTERROR): both are `final`, the loop reads to the end and the recv reports it.
// - Registration reports input already waiting, not a reset that came before it (under Wine
//   such a connection stayed registered and silent): watch() posts one FD_READ by hand.
// - A message can outlive its registration: a socket not in the table is ignored, and a
//   handle reused by a new connection costs a recv that would block.
// - forget() releases the socket (WSAAsyncSelect(s, hwnd, 0, 0): it stays non-blocking). The
//   window, and what is still queued for it, go with the loop thread.
#include <atomic>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "readiness_loop.hpp"

namespace netcore {
namespace {

constexpr UINT kSocketMessage = WM_APP + 1;  // from WSAAsyncSelect
constexpr UINT kWakeMessage = WM_APP + 2;    // signal()
constexpr long kSocketEvents = FD_READ | FD_WRITE | FD_CLOSE;
constexpr int kMessagesPerWait = 1024;  // the rest waits for the next turn
const wchar_t kWindowClass[] = L"netcore_async_select";

constexpr PollerTraits kAsyncSelect{
    .engine = "async_select",
    .wait_call = "MsgWaitForMultipleObjectsEx",
    .edge_triggered = true,
    .interest_in_kernel = true,
    .trigger = "edge (messages to a message-only window; FD_READ re-enabled by recv)",
    .ceiling = {},
};

class AsyncSelectPoller final : public Poller {
  public:
    const PollerTraits& traits() const override { return kAsyncSelect; }

    void open() override {
        static const bool registered = [] {
            WNDCLASSW wc{};
            wc.lpfnWndProc = &::DefWindowProcW;
            wc.hInstance = ::GetModuleHandleW(nullptr);
            wc.lpszClassName = kWindowClass;
            return ::RegisterClassW(&wc) != 0;
        }();
        HWND hwnd = registered ? ::CreateWindowExW(0, kWindowClass, L"", 0, 0, 0, 0, 0,
                                                   HWND_MESSAGE, nullptr, nullptr, nullptr)
                               : nullptr;
        if (!hwnd)
            throw std::runtime_error("cannot create a message-only window: " +
                                     socket_error_text(static_cast<int>(::GetLastError())));
        hwnd_.store(hwnd);
    }
    void close() override {
        // Destroyed with its thread already, unless open() failed on this one.
        if (HWND hwnd = hwnd_.exchange(nullptr);
            hwnd && ::GetWindowThreadProcessId(hwnd, nullptr) == ::GetCurrentThreadId())
            ::DestroyWindow(hwnd);
        keys_.clear();
    }

    int watch(socket_t s, std::uint32_t key, Interest) override {
        const long events = is_listener_key(key) ? FD_ACCEPT : kSocketEvents;
        if (::WSAAsyncSelect(s, hwnd_.load(), kSocketMessage, events) != 0)
            return ::WSAGetLastError();
        keys_[s] = key;
        // A reset that came before the registration posts nothing: look once.
        if (!is_listener_key(key))
            ::PostMessageW(hwnd_.load(), kSocketMessage, s, WSAMAKESELECTREPLY(FD_READ, 0));
        return 0;
    }
    int modify(socket_t, std::uint32_t, Interest) override { return 0; }  // edge: never asked
    void forget(socket_t s, std::uint32_t) override {
        ::WSAAsyncSelect(s, hwnd_.load(), 0, 0);
        keys_.erase(s);
    }

    WaitResult wait(std::vector<Fired>& fired, int timeout_ms) override {
        WaitResult r{0, 0};
        if (take_messages(fired) == 0 && timeout_ms != 0) {
            const DWORD ms = timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms);
            ++r.calls;
            if (::MsgWaitForMultipleObjectsEx(0, nullptr, ms, QS_ALLINPUT, MWMO_INPUTAVAILABLE) ==
                WAIT_FAILED)
                r.error = static_cast<int>(::GetLastError());
            take_messages(fired);
        }
        return r;
    }
    void signal() override {
        if (HWND hwnd = hwnd_.load()) ::PostMessageW(hwnd, kWakeMessage, 0, 0);
    }

    void describe(EngineStats& s) const override {
        s.details.emplace_back("socket messages", std::to_string(messages_.load()));
        s.details.emplace_back("stale messages (socket gone)", std::to_string(stale_.load()));
    }

  private:
    // Takes what the queue holds now; each socket message becomes what fired.
    int take_messages(std::vector<Fired>& fired) {
        MSG msg;
        int n = 0;
        while (n < kMessagesPerWait && ::PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
            ++n;
            if (msg.message == kWakeMessage) {
                fired.push_back({kWakeKey, true, false, false});
            } else if (msg.message == kSocketMessage) {
                on_socket(static_cast<SOCKET>(msg.wParam), WSAGETSELECTEVENT(msg.lParam),
                          WSAGETSELECTERROR(msg.lParam), fired);
            } else {
                ::DispatchMessageW(&msg);
            }
        }
        return n;
    }

    void on_socket(SOCKET s, WORD event, WORD error, std::vector<Fired>& fired) {
        messages_.fetch_add(1, std::memory_order_relaxed);
        auto it = keys_.find(s);
        if (it == keys_.end()) {
            stale_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        const bool final = event == FD_CLOSE || error != 0;
        fired.push_back({it->second, event != FD_WRITE || final, event == FD_WRITE, final});
    }

    std::atomic<HWND> hwnd_{nullptr};
    std::unordered_map<SOCKET, std::uint32_t> keys_;  // loop thread only; keyed by handle
    std::atomic<std::uint64_t> messages_{0}, stale_{0};
};

}  // namespace

std::unique_ptr<Engine> make_async_select_engine() {
    return make_readiness_engine(std::make_unique<AsyncSelectPoller>());
}

}  // namespace netcore
