// A blocking protocol client for tests: real sockets on loopback, frames in and out.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "chat/codec.hpp"
#include "netcore/platform.hpp"
#include "netcore/tls.hpp"

namespace testing_support {

using namespace std::chrono_literals;

struct RawFrame {
    std::uint16_t type = 0;
    chat::Bytes body;
};

class TestClient {
  public:
    explicit TestClient(std::uint16_t port, int rcvbuf = 0);  // rcvbuf > 0 shrinks SO_RCVBUF
    // Over TLS when `tls` (a client context) is given: the handshake (verifying `host`) is done
    // before the constructor returns; if it failed, tls_error() says why and the stream is at
    // its end. Frames then go through the session; one thread may send while another reads.
    TestClient(std::uint16_t port, int rcvbuf, std::shared_ptr<netcore::TlsContext> tls,
               const std::string& host = "localhost");
    TestClient(const std::string& host, std::uint16_t port);  // "::1", "127.0.0.1", a name
    ~TestClient();
    TestClient(TestClient&& other) noexcept;
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    void send_raw(std::span<const std::byte> bytes);
    void send_raw(const std::string& bytes);
    // Puts the first half of what `bytes` become on the wire (the frame's bytes, or its TLS
    // records) on the wire: a peer cut off mid-frame or mid-record.
    void send_cut(std::span<const std::byte> bytes);
    template <class T>
    void send(const T& msg) {
        send_raw(chat::encode(msg));
    }

    // The next frame, or nullopt on timeout or end of stream (see eof()).
    std::optional<RawFrame> read_frame(std::chrono::milliseconds timeout = 5000ms);
    // The next frame decoded; throws on timeout, EOF or a frame that does not decode.
    chat::AnyMessage read(std::chrono::milliseconds timeout = 5000ms);
    template <class T>
    T expect(std::chrono::milliseconds timeout = 5000ms) {
        auto msg = read(timeout);
        if (auto* m = std::get_if<T>(&msg)) return std::move(*m);
        throw std::runtime_error("expected " +
                                 std::string(chat::type_name(static_cast<std::uint16_t>(
                                     chat::type_of(chat::AnyMessage(T{}))))) +
                                 ", got " + describe(msg));
    }
    chat::Error expect_error(chat::ErrorCode code, std::chrono::milliseconds timeout = 5000ms);

    chat::Welcome login(const std::string& nick, const std::string& password = "");
    chat::Joined join(const std::string& room);

    // True once the server closed the connection (reads until EOF, discarding frames).
    bool wait_closed(std::chrono::milliseconds timeout = 5000ms);
    bool eof() const { return eof_; }

    // Ends our side (after our close_notify, over TLS).
    void shutdown_write();
    void reset();  // abortive close: RST
    bool is_tls() const { return tls_ != nullptr; }
    std::string tls_error() const;  // "" unless the TLS session failed
    bool got_close_notify() const;  // the server ended its TLS stream cleanly
    std::optional<netcore::TlsInfo> tls_info() const;
    netcore::socket_t socket() const { return s_; }

    static std::string describe(const chat::AnyMessage& msg);

  private:
    bool fill(std::chrono::milliseconds timeout);
    void write_all(std::span<const std::byte> bytes);
    void handshake(std::chrono::milliseconds timeout);

    // The TLS side. `session` and `out` (records the reader made, the next send carries them)
    // are guarded by `mutex`; `write_mutex` keeps records in the order they were made.
    struct Tls {
        std::unique_ptr<netcore::TlsSession> session;
        netcore::ByteBuffer out;
        std::mutex mutex;
        std::mutex write_mutex;
        std::string error;
        bool closed = false;  // close_notify seen
    };
    std::unique_ptr<Tls> tls_;
    netcore::socket_t s_ = netcore::kInvalidSocket;
    chat::Bytes buf_;
    bool eof_ = false;
};

}  // namespace testing_support
