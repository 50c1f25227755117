// async_select: WSAAsyncSelect turns socket events into window messages. The engine's own
// thread creates a message-only window (HWND_MESSAGE: never shown, no desktop needed) and
// pumps it with GetMessage; the window procedure reads, writes and accepts. One thread, no
// handle limit, but every event goes through the thread's message queue.
//
// - FD_READ and FD_WRITE are re-enabled only by recv and send. A read this engine puts off
//   (the seeds' recvdelayed trick: while the connection's own output is backed up, it stops
//   taking input) calls no recv, so no FD_READ will come again by itself: it is re-posted
//   with PostMessage once the output has drained.
// - FD_WRITE comes once on registration and then only after a send hit WSAEWOULDBLOCK.
// - FD_CLOSE can arrive while data is still unread: everything is read first.
// - The error travels in the message (WSAGETSELECTERROR), not in WSAGetLastError.
// - Registration reports input already waiting, but not a reset that came before it: one
//   FD_READ is posted by hand after each registration, so such a socket is closed at once.
// - Messages can outlive a socket (queued before its close, or re-posted): a socket handle
//   not in the table is ignored, and a handle reused by a new connection only costs a recv
//   that would block.
// - Other threads wake the loop with PostMessage of a private message, coalesced.
// - stop(): WSAAsyncSelect(s, hwnd, 0, 0) releases each socket (it stays non-blocking), the
//   window is destroyed (with any message still queued for it) and the thread ends.
#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/engine.hpp"
#include "netcore/stream_io.hpp"
#include "wake_inbox.hpp"

namespace netcore {
namespace {

constexpr UINT kSocketMessage = WM_APP + 1;  // from WSAAsyncSelect
constexpr UINT kWakeMessage = WM_APP + 2;    // another thread queued output
constexpr UINT kStopMessage = WM_APP + 3;
constexpr long kSocketEvents = FD_READ | FD_WRITE | FD_CLOSE;
constexpr std::size_t kMessageReadBudget = 64 * 1024;  // per FD_READ message
constexpr std::size_t kBackedUp = 256 * 1024;          // own output queued: put reads off
const wchar_t kWindowClass[] = L"netcore_async_select";

struct Entry {
    ConnectionPtr conn;
    bool recv_delayed = false;
};

class AsyncSelectEngine final : public Engine, private WriteWaker {
  public:
    std::string_view name() const override { return "async_select"; }

    void start(EngineHost& host, socket_t listener, std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        listener_ = listener;
        std::promise<HWND> ready;
        auto window = ready.get_future();
        thread_ = std::thread([this, &ready, adopted = std::move(adopted)]() mutable {
            loop(ready, std::move(adopted));
        });
        hwnd_ = window.get();
        if (!hwnd_) {
            thread_.join();
            throw std::runtime_error("async_select: cannot create a message-only window");
        }
    }

    std::vector<ConnectionPtr> stop() override {
        ::PostMessageW(hwnd_, kStopMessage, 0, 0);
        thread_.join();
        inbox_.hand_on_adopted(*host_, handed_back_);
        return std::move(handed_back_);
    }

    void adopt(ConnectionPtr conn) override {
        if (inbox_.post_adopt(std::move(conn))) ::PostMessageW(hwnd_, kWakeMessage, 0, 0);
    }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = "async_select";
        s.threads = 1;
        s.wakeups = wakeups_.load(std::memory_order_relaxed);
        s.events = events_.load(std::memory_order_relaxed);
        s.syscalls = syscalls_.load(std::memory_order_relaxed);
        s.details = {{"sockets", std::to_string(count_.load())},
                     {"window", "message-only (HWND_MESSAGE)"},
                     {"reads put off (recvdelayed)", std::to_string(delayed_.load())},
                     {"FD_READ re-posted", std::to_string(reposted_.load())}};
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (inbox_.wake(conn, conn.socket(), t_loop == this, dirty_))
            ::PostMessageW(hwnd_, kWakeMessage, 0, 0);
    }

    bool owns_io(const Connection&) const override { return t_loop == this; }

    static LRESULT CALLBACK window_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp) {
        auto* self = reinterpret_cast<AsyncSelectEngine*>(::GetWindowLongPtrW(hwnd, GWLP_USERDATA));
        if (self) {
            switch (msg) {
                case kSocketMessage:
                    self->on_socket(static_cast<SOCKET>(wp), WSAGETSELECTEVENT(lp),
                                    WSAGETSELECTERROR(lp));
                    return 0;
                case kWakeMessage:
                    self->take_remote();
                    return 0;
                case kStopMessage:
                    self->on_stop();
                    return 0;
            }
        }
        return ::DefWindowProcW(hwnd, msg, wp, lp);
    }

    static bool register_class() {
        static const bool ok = [] {
            WNDCLASSW wc{};
            wc.lpfnWndProc = &AsyncSelectEngine::window_proc;
            wc.hInstance = ::GetModuleHandleW(nullptr);
            wc.lpszClassName = kWindowClass;
            return ::RegisterClassW(&wc) != 0;
        }();
        return ok;
    }

    void loop(std::promise<HWND>& ready, std::vector<ConnectionPtr> adopted) {
        t_loop = this;
        HWND hwnd = nullptr;
        if (register_class())
            hwnd = ::CreateWindowExW(0, kWindowClass, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                                     ::GetModuleHandleW(nullptr), nullptr);
        if (hwnd) {
            ::SetWindowLongPtrW(hwnd, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(this));
            hwnd_ = hwnd;
            if (listener_ != kInvalidSocket)
                ::WSAAsyncSelect(listener_, hwnd, kSocketMessage, FD_ACCEPT);
            for (auto& conn : adopted) add(conn);
        } else {
            handed_back_ = std::move(adopted);
        }
        ready.set_value(hwnd);
        if (!hwnd) return;
        MSG msg;
        while (::GetMessageW(&msg, nullptr, 0, 0) > 0) {
            wakeups_.fetch_add(1, std::memory_order_relaxed);
            ::DispatchMessageW(&msg);
            serve_dirty();
        }
        t_loop = nullptr;
    }

    void add(const ConnectionPtr& conn) {
        const SOCKET s = conn->socket();
        conns_[s] = Entry{conn};
        count_ = conns_.size();
        // Registration posts FD_WRITE, and FD_READ if input is already waiting.
        syscalls_.fetch_add(1, std::memory_order_relaxed);
        if (::WSAAsyncSelect(s, hwnd_, kSocketMessage, kSocketEvents) != 0) {
            close(s, CloseReason::Reset);
            return;
        }
        EngineSlot::attach(*conn, this);
        // But no FD_CLOSE for a reset that came before it (under Wine a connection reset
        // before accept stayed registered and silent until a timeout): look once, after the
        // current message, so the host has been told the connection opened.
        ::PostMessageW(hwnd_, kSocketMessage, s, WSAMAKESELECTREPLY(FD_READ, 0));
    }

    void on_socket(SOCKET s, WORD event, WORD error) {
        events_.fetch_add(1, std::memory_order_relaxed);
        if (s == listener_ && listener_ != kInvalidSocket) {
            if (event != FD_ACCEPT) return;
            const auto a =
                accept_pending(listener_, *host_, 256, [this](const ConnectionPtr& c) { add(c); });
            syscalls_.fetch_add(a.calls, std::memory_order_relaxed);
            // A full batch: ask for the rest ourselves rather than count on a new FD_ACCEPT.
            if (a.more) ::PostMessageW(hwnd_, kSocketMessage, listener_, FD_ACCEPT);
            return;
        }
        auto it = conns_.find(s);
        if (it == conns_.end()) return;  // a message that outlived its socket
        Entry& e = it->second;
        Connection& conn = *e.conn;
        if (error != 0 && event != FD_CLOSE) return close(s, CloseReason::Reset);
        switch (event) {
            case FD_READ:
                if (conn.queued_bytes() > kBackedUp) {
                    // recvdelayed: no recv now, so FD_READ stays off until we re-post it.
                    if (!e.recv_delayed) delayed_.fetch_add(1, std::memory_order_relaxed);
                    e.recv_delayed = true;
                    return;
                }
                if (!read(s, kMessageReadBudget)) return;
                break;
            case FD_WRITE:
                if (!flush(s)) return;
                break;
            case FD_CLOSE:
                // The peer's FIN (or a reset): take whatever is still unread first.
                if (!read(s, SIZE_MAX)) return;
                if (error != 0) return close(s, CloseReason::Reset);
                break;
            default:
                return;
        }
        finish_if_done(s);
    }

    // False when the connection was closed.
    bool read(SOCKET s, std::size_t budget) {
        Entry& e = conns_[s];
        const auto r = read_available(*e.conn, host_->handler(), read_scratch(), budget);
        syscalls_.fetch_add(r.calls, std::memory_order_relaxed);
        if (r.failed) {
            close(s, CloseReason::Reset);
            return false;
        }
        if (r.paused && !e.recv_delayed) {
            // stream_io put the read off (backpressure) without a recv: recvdelayed as well.
            e.recv_delayed = true;
            delayed_.fetch_add(1, std::memory_order_relaxed);
        }
        return true;
    }

    bool flush(SOCKET s) {
        auto it = conns_.find(s);
        if (it == conns_.end()) return false;
        Entry& e = it->second;
        Connection& conn = *e.conn;
        EngineSlot::take_flush(conn);
        const auto w = flush_output(conn);
        syscalls_.fetch_add(w.calls, std::memory_order_relaxed);
        if (w.failed) {
            close(s, CloseReason::Reset);
            return false;
        }
        if (e.recv_delayed && conn.queued_bytes() <= kBackedUp && !conn.output_backlogged()) {
            // The seeds' recvdelayed trick: the read we skipped must be asked for again.
            e.recv_delayed = false;
            reposted_.fetch_add(1, std::memory_order_relaxed);
            ::PostMessageW(hwnd_, kSocketMessage, s, WSAMAKESELECTREPLY(FD_READ, 0));
        }
        return true;
    }

    void finish_if_done(SOCKET s) {
        auto it = conns_.find(s);
        if (it != conns_.end() && it->second.conn->must_finalize())
            close(s, CloseReason::PeerClosed);
    }

    void close(SOCKET s, CloseReason observed) {
        auto it = conns_.find(s);
        if (it == conns_.end()) return;
        ConnectionPtr conn = std::move(it->second.conn);
        conns_.erase(it);
        count_ = conns_.size();
        finalize_connection(*conn, *host_, observed);  // closesocket ends the selection
    }

    void take_remote() {
        for (auto& conn : inbox_.take(dirty_)) {
            add(conn);
            if (conns_.count(conn->socket())) host_->connection_opened(conn);
        }
    }

    void serve_dirty() {
        while (!dirty_.empty()) {
            std::vector<std::uint64_t> batch;
            batch.swap(dirty_);
            for (const auto key : batch)
                if (const auto s = static_cast<SOCKET>(key); flush(s)) finish_if_done(s);
        }
    }

    void on_stop() {
        for (auto& [s, e] : conns_) {
            ::WSAAsyncSelect(s, hwnd_, 0, 0);  // released, still non-blocking
            EngineSlot::detach(*e.conn);
            handed_back_.push_back(std::move(e.conn));
        }
        conns_.clear();
        count_ = 0;
        if (listener_ != kInvalidSocket) ::WSAAsyncSelect(listener_, hwnd_, 0, 0);
        ::DestroyWindow(hwnd_);
        ::PostQuitMessage(0);
    }

    static thread_local AsyncSelectEngine* t_loop;

    EngineHost* host_ = nullptr;
    socket_t listener_ = kInvalidSocket;
    std::thread thread_;
    HWND hwnd_ = nullptr;

    std::unordered_map<SOCKET, Entry> conns_;  // engine thread only; keyed by handle
    std::vector<std::uint64_t> dirty_;         // woken for output, on the engine thread
    std::vector<ConnectionPtr> handed_back_;

    WakeInbox inbox_;  // woken from other threads (by socket), adopted and not yet registered

    std::atomic<std::size_t> count_{0};
    std::atomic<std::uint64_t> wakeups_{0}, events_{0}, syscalls_{0}, delayed_{0}, reposted_{0};
};

thread_local AsyncSelectEngine* AsyncSelectEngine::t_loop = nullptr;

}  // namespace

std::unique_ptr<Engine> make_async_select_engine() {
    return std::make_unique<AsyncSelectEngine>();
}

}  // namespace netcore
