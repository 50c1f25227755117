#include "test_client.hpp"

#include "netcore/client.hpp"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <spdlog/spdlog.h>

#include <cstring>

namespace testing_support {

// spdlog's registry is a function-local static inside Debian's libspdlog.so, which is not built
// with TSan: when an engine thread makes the process' first log call while the main thread
// makes another, TSan cannot see the guard that orders the registry's construction before the
// other thread's read, and reports a race that is not there. Creating it before main() (before
// any thread, as chat_server does by setting the log level first) leaves nothing to see.
[[maybe_unused]] static const auto* const log_registry_ready = spdlog::default_logger_raw();

TestClient::TestClient(std::uint16_t port, int rcvbuf) {
    netcore::init_sockets();
    s_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s_ == netcore::kInvalidSocket) throw std::runtime_error("socket() failed");
    if (rcvbuf > 0)
        ::setsockopt(s_, SOL_SOCKET, SO_RCVBUF, reinterpret_cast<const char*>(&rcvbuf),
                     sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("connect to port " + std::to_string(port) + " failed: " +
                                 netcore::socket_error_text(netcore::last_socket_error()));
    netcore::set_nodelay(s_);
}

TestClient::TestClient(std::uint16_t port, int rcvbuf, std::shared_ptr<netcore::TlsContext> tls,
                       const std::string& host)
    : TestClient(port, rcvbuf) {
    if (!tls) return;
    tls_ = std::make_unique<Tls>();
    tls_->session = tls->new_session(host);
    handshake(10s);
}

// The client's flights out, the server's in, until the session is through (or failed).
void TestClient::handshake(std::chrono::milliseconds timeout) {
    netcore::ByteBuffer hello;
    tls_->session->start(hello);
    write_all(hello.readable());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!tls_->session->handshake_done() && tls_->error.empty() && !eof_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            tls_->error = "handshake timed out";
            break;
        }
        fill(left);
        netcore::ByteBuffer answer;
        {
            std::lock_guard lock(tls_->mutex);
            answer.swap(tls_->out);
        }
        write_all(answer.readable());
    }
    if (!tls_->session->handshake_done() && tls_->error.empty())
        tls_->error = "the server closed the connection during the handshake";
}

std::string TestClient::tls_error() const {
    if (!tls_) return "";
    std::lock_guard lock(tls_->mutex);
    return tls_->error;
}

bool TestClient::got_close_notify() const {
    if (!tls_) return false;
    std::lock_guard lock(tls_->mutex);
    return tls_->closed;
}

std::optional<netcore::TlsInfo> TestClient::tls_info() const {
    if (!tls_) return std::nullopt;
    std::lock_guard lock(tls_->mutex);
    return tls_->session->info();
}

TestClient::TestClient(const std::string& host, std::uint16_t port) {
    std::string error;
    s_ = netcore::connect_tcp(host, port, std::chrono::seconds(5), "", error);
    if (s_ == netcore::kInvalidSocket) throw std::runtime_error(error);
    netcore::set_nonblocking(s_, false);
}

TestClient::~TestClient() {
    if (s_ != netcore::kInvalidSocket) netcore::close_socket(s_);
}

TestClient::TestClient(TestClient&& other) noexcept
    : tls_(std::move(other.tls_)), s_(other.s_), buf_(std::move(other.buf_)), eof_(other.eof_) {
    other.s_ = netcore::kInvalidSocket;
}

void TestClient::send_raw(std::span<const std::byte> bytes) {
    if (!tls_) return write_all(bytes);
    std::lock_guard write_lock(tls_->write_mutex);
    netcore::ByteBuffer records;
    {
        std::lock_guard lock(tls_->mutex);
        if (tls_->session->send(bytes, tls_->out) == netcore::TlsSession::Status::Failed)
            throw std::runtime_error("TLS send failed: " + tls_->session->error());
        records.swap(tls_->out);
    }
    write_all(records.readable());
}

void TestClient::send_cut(std::span<const std::byte> bytes) {
    if (!tls_) return write_all(bytes.first(bytes.size() / 2));
    std::lock_guard write_lock(tls_->write_mutex);
    netcore::ByteBuffer records;
    {
        std::lock_guard lock(tls_->mutex);
        if (tls_->session->send(bytes, tls_->out) == netcore::TlsSession::Status::Failed)
            throw std::runtime_error("TLS send failed: " + tls_->session->error());
        records.swap(tls_->out);
    }
    write_all(records.readable().first(records.size() / 2));
}

void TestClient::write_all(std::span<const std::byte> bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        const auto n = ::send(s_, reinterpret_cast<const char*>(bytes.data() + off),
                              static_cast<int>(bytes.size() - off), 0);
        if (n <= 0)
            throw std::runtime_error("send failed: " +
                                     netcore::socket_error_text(netcore::last_socket_error()));
        off += static_cast<std::size_t>(n);
    }
}

void TestClient::send_raw(const std::string& bytes) {
    send_raw(std::span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
}

bool TestClient::fill(std::chrono::milliseconds timeout) {
#ifdef _WIN32
    WSAPOLLFD pfd{s_, POLLRDNORM, 0};
    const int ready = ::WSAPoll(&pfd, 1, static_cast<int>(timeout.count()));
#else
    pollfd pfd{s_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
#endif
    if (ready <= 0) return false;
    char chunk[65536];
    const auto n = ::recv(s_, chunk, sizeof chunk, 0);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    const auto* p = reinterpret_cast<const std::byte*>(chunk);
    if (!tls_) {
        buf_.insert(buf_.end(), p, p + n);
        return true;
    }
    netcore::ByteBuffer plain;
    std::lock_guard lock(tls_->mutex);
    const auto status =
        tls_->session->receive(std::span(p, static_cast<std::size_t>(n)), plain, tls_->out);
    buf_.insert(buf_.end(), plain.data(), plain.data() + plain.size());
    if (status == netcore::TlsSession::Status::Failed) {
        tls_->error = tls_->session->error();
        eof_ = true;  // nothing more can be read
    } else if (status == netcore::TlsSession::Status::Closed) {
        tls_->closed = true;
        eof_ = true;  // the server's FIN follows its close_notify
    }
    return true;
}

std::optional<RawFrame> TestClient::read_frame(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (buf_.size() >= chat::kHeaderSize) {
            const auto h = chat::read_header(buf_.data());
            if (h.size >= chat::kHeaderSize && buf_.size() >= h.size) {
                RawFrame f{h.type, chat::Bytes(buf_.begin() + 4, buf_.begin() + h.size)};
                buf_.erase(buf_.begin(), buf_.begin() + h.size);
                return f;
            }
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (eof_ || left.count() <= 0 || !fill(left)) return std::nullopt;
    }
}

chat::AnyMessage TestClient::read(std::chrono::milliseconds timeout) {
    auto f = read_frame(timeout);
    if (!f)
        throw std::runtime_error(eof_ ? "connection closed by server"
                                      : "timed out waiting for a frame");
    chat::AnyMessage msg;
    if (auto err = chat::decode(f->type, f->body, msg); err != chat::ErrorCode::None)
        throw std::runtime_error("server sent an undecodable frame, type " +
                                 std::to_string(f->type));
    return msg;
}

chat::Error TestClient::expect_error(chat::ErrorCode code, std::chrono::milliseconds timeout) {
    auto e = expect<chat::Error>(timeout);
    if (e.code != code)
        throw std::runtime_error("expected ERROR " + std::string(chat::error_name(code)) +
                                 ", got " + std::string(chat::error_name(e.code)) + " (" +
                                 e.detail + ")");
    return e;
}

chat::Welcome TestClient::login(const std::string& nick, const std::string& password) {
    send(chat::Hello{chat::kProtocolVersion, nick, password});
    return expect<chat::Welcome>();
}

chat::Joined TestClient::join(const std::string& room) {
    send(chat::Join{room});
    return expect<chat::Joined>();
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (!fill(left) && !eof_) return false;
        buf_.clear();
    }
    return true;
}

void TestClient::shutdown_write() {
    // A sender stuck in send() holds the write lock: then the FIN alone (tests call this to
    // unblock it), else our close_notify first.
    if (tls_ && tls_->write_mutex.try_lock()) {
        std::lock_guard write_lock(tls_->write_mutex, std::adopt_lock);
        netcore::ByteBuffer records;
        {
            std::lock_guard lock(tls_->mutex);
            tls_->session->close(tls_->out);
            records.swap(tls_->out);
        }
        try {
            write_all(records.readable());
        } catch (const std::exception&) {
            // the connection is gone already: the FIN below changes nothing
        }
    }
#ifdef _WIN32
    ::shutdown(s_, SD_SEND);
#else
    ::shutdown(s_, SHUT_WR);
#endif
}

void TestClient::reset() {
    linger l{1, 0};
    ::setsockopt(s_, SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&l), sizeof l);
    netcore::close_socket(s_);
    s_ = netcore::kInvalidSocket;
}

std::string TestClient::describe(const chat::AnyMessage& msg) {
    std::string out(chat::type_name(static_cast<std::uint16_t>(chat::type_of(msg))));
    if (auto* e = std::get_if<chat::Error>(&msg))
        out += " " + std::string(chat::error_name(e->code)) + " (" + e->detail + ")";
    return out;
}

}  // namespace testing_support
