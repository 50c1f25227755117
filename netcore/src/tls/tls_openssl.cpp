// TlsSession on OpenSSL 3: one SSL object between two memory BIOs. Ciphertext from the peer
// is written into `in_`, the records OpenSSL makes are drained from `out_`; no socket is ever
// seen here, so any engine (and an engine switch) carries the session unchanged.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "netcore/platform.hpp"
#include "netcore/tls.hpp"

#ifndef _WIN32
#include <arpa/inet.h>
#endif

namespace netcore {

namespace {

// The reason of the oldest error on this thread's OpenSSL queue ("wrong version number"), or
// `fallback`; the queue is emptied (every call below starts from a clear one).
std::string openssl_reason(const char* fallback) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return fallback;
    if (const char* reason = ERR_reason_error_string(code)) return reason;
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    return text.data();
}

bool is_ip_literal(std::string_view host) {
    const std::string h(host);
    unsigned char buf[16];
    return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

// Why `path` cannot be used, before OpenSSL's less helpful message: it is missing or unreadable.
void check_readable(const std::string& path, const char* what) {
    if (path.empty()) throw std::runtime_error(std::string("no ") + what + " file given");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error(std::string("cannot read ") + what + " file '" + path + "'");
    std::fclose(f);
}

using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

CtxPtr new_ctx(const SSL_METHOD* method) {
    ERR_clear_error();
    CtxPtr ctx(SSL_CTX_new(method), &SSL_CTX_free);
    if (!ctx) throw std::runtime_error("TLS: " + openssl_reason("cannot make an SSL_CTX"));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    // Idle sessions keep no record buffers; no renegotiation (a session is one handshake).
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
    return ctx;
}

class OpenSslSession final : public TlsSession {
  public:
    OpenSslSession(SSL_CTX* ctx, bool server, std::string_view host) : server_(server) {
        ERR_clear_error();
        ssl_ = SSL_new(ctx);
        in_ = BIO_new(BIO_s_mem());
        out_ = BIO_new(BIO_s_mem());
        if (!ssl_ || !in_ || !out_) {
            BIO_free(in_);
            BIO_free(out_);
            SSL_free(ssl_);
            throw std::runtime_error("TLS: " + openssl_reason("cannot make a session"));
        }
        // An empty input BIO means "more is coming", not end of stream.
        BIO_set_mem_eof_return(in_, -1);
        BIO_set_mem_eof_return(out_, -1);
        SSL_set_bio(ssl_, in_, out_);  // the SSL owns both from here
        if (server) {
            SSL_set_accept_state(ssl_);
        } else {
            SSL_set_connect_state(ssl_);
            if (!host.empty() && SSL_get_verify_mode(ssl_) != SSL_VERIFY_NONE) {
                const std::string name(host);
                if (is_ip_literal(host))
                    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str());
                else
                    SSL_set1_host(ssl_, name.c_str());
            }
            if (!host.empty() && !is_ip_literal(host))  // SNI carries names only
                SSL_set_tlsext_host_name(ssl_, std::string(host).c_str());
        }
    }
    ~OpenSslSession() override { SSL_free(ssl_); }
    OpenSslSession(const OpenSslSession&) = delete;
    OpenSslSession& operator=(const OpenSslSession&) = delete;

    void start(ByteBuffer& to_peer) override {
        if (server_) return;
        step_handshake();
        drain(to_peer);
    }

    Status receive(std::span<const std::byte> from_peer, ByteBuffer& plain,
                   ByteBuffer& to_peer) override {
        if (failed_) return Status::Failed;
        if (peer_closed_) return Status::Closed;
        if (!from_peer.empty() &&
            BIO_write(in_, from_peer.data(), static_cast<int>(from_peer.size())) !=
                static_cast<int>(from_peer.size())) {
            fail("cannot buffer input");
            return Status::Failed;
        }
        if (!done_) step_handshake();
        if (done_ && !failed_) read_records(plain);
        drain(to_peer);
        if (failed_) return Status::Failed;
        return peer_closed_ ? Status::Closed : Status::Ok;
    }

    Status send(std::span<const std::byte> plain, ByteBuffer& to_peer) override {
        if (failed_) return Status::Failed;
        if (!done_) {
            held_.append(plain);
            return Status::Ok;
        }
        write_records(plain);
        drain(to_peer);
        return failed_ ? Status::Failed : Status::Ok;
    }

    void close(ByteBuffer& to_peer) override {
        if (!done_ || failed_ || sent_close_) return;  // no close_notify before a handshake
        sent_close_ = true;
        ERR_clear_error();
        SSL_shutdown(ssl_);
        ERR_clear_error();
        drain(to_peer);
    }

    bool handshake_done() const override { return done_; }
    std::size_t held_bytes() const override { return held_.size(); }
    TlsInfo info() const override {
        if (!done_) return {};
        return {SSL_get_version(ssl_), SSL_get_cipher_name(ssl_)};
    }
    std::string error() const override { return error_; }

  private:
    void step_handshake() {
        ERR_clear_error();
        const int r = SSL_do_handshake(ssl_);
        if (r == 1) {
            done_ = true;
            if (!held_.empty()) {
                ByteBuffer held;
                held.swap(held_);
                write_records(held.readable());
            }
            return;
        }
        const int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
        fail(describe_failure(err));
    }

    void read_records(ByteBuffer& plain) {
        std::array<std::byte, 16 * 1024> chunk;
        for (;;) {
            ERR_clear_error();
            std::size_t n = 0;
            if (SSL_read_ex(ssl_, chunk.data(), chunk.size(), &n) == 1) {
                plain.append(std::span(chunk.data(), n));
                continue;
            }
            const int err = SSL_get_error(ssl_, 0);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
            if (err == SSL_ERROR_ZERO_RETURN) {
                peer_closed_ = true;
                return;
            }
            fail(describe_failure(err));
            return;
        }
    }

    void write_records(std::span<const std::byte> plain) {
        while (!plain.empty() && !failed_) {
            ERR_clear_error();
            std::size_t n = 0;
            if (SSL_write_ex(ssl_, plain.data(), plain.size(), &n) != 1) {
                fail(describe_failure(SSL_get_error(ssl_, 0)));
                return;
            }
            plain = plain.subspan(n);
        }
    }

    // Moves every record OpenSSL has made into `to_peer` (an alert after a failure too).
    void drain(ByteBuffer& to_peer) {
        std::array<std::byte, 16 * 1024> chunk;
        for (;;) {
            const int n = BIO_read(out_, chunk.data(), static_cast<int>(chunk.size()));
            if (n <= 0) return;
            to_peer.append(std::span(chunk.data(), static_cast<std::size_t>(n)));
        }
    }

    std::string describe_failure(int err) {
        if (!server_) {
            const long verify = SSL_get_verify_result(ssl_);
            if (verify != X509_V_OK) {
                ERR_clear_error();
                return std::string("certificate verify failed: ") +
                       X509_verify_cert_error_string(verify);
            }
        }
        if (err == SSL_ERROR_SYSCALL) return openssl_reason("unexpected end of the TLS stream");
        // What a handshake with something that is no TLS peer looks like (a chat server's
        // plaintext answer, an HTTP request), said so.
        const int reason = ERR_GET_REASON(ERR_peek_error());
        if (!done_ && (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
                       reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_UNKNOWN_PROTOCOL))
            return "the peer does not speak TLS (" + openssl_reason("") + ")";
        return openssl_reason("TLS protocol error");
    }

    void fail(std::string why) {
        failed_ = true;
        held_.clear();
        error_ = std::move(why);
    }

    const bool server_;
    SSL* ssl_ = nullptr;
    BIO* in_ = nullptr;   // peer -> SSL (owned by ssl_)
    BIO* out_ = nullptr;  // SSL -> peer (owned by ssl_)
    ByteBuffer held_;     // application bytes sent before the handshake finished
    bool done_ = false;
    bool failed_ = false;
    bool peer_closed_ = false;
    bool sent_close_ = false;
    std::string error_;
};

class OpenSslContext final : public TlsContext {
  public:
    OpenSslContext(CtxPtr ctx, bool server) : ctx_(std::move(ctx)), server_(server) {}
    std::unique_ptr<TlsSession> new_session(std::string_view host) override {
        return std::make_unique<OpenSslSession>(ctx_.get(), server_, host);
    }
    bool is_server() const override { return server_; }

  private:
    CtxPtr ctx_;
    const bool server_;
};

}  // namespace

std::shared_ptr<TlsContext> TlsContext::server(const TlsServerConfig& config) {
    check_readable(config.cert_file, "certificate");
    check_readable(config.key_file, "private key");
    CtxPtr ctx = new_ctx(TLS_server_method());
    SSL_CTX_set_num_tickets(ctx.get(), 0);  // nobody resumes: spare every handshake the tickets
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), config.cert_file.c_str()) != 1)
        throw std::runtime_error("certificate file '" + config.cert_file +
                                 "' holds no PEM certificate (" + openssl_reason("unreadable") +
                                 ")");
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), config.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("private key file '" + config.key_file +
                                 "' holds no PEM private key for the certificate (" +
                                 openssl_reason("unreadable") + ")");
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
        throw std::runtime_error("private key file '" + config.key_file +
                                 "' does not match certificate file '" + config.cert_file + "'");
    return std::make_shared<OpenSslContext>(std::move(ctx), true);
}

std::shared_ptr<TlsContext> TlsContext::client(const TlsClientConfig& config) {
    CtxPtr ctx = new_ctx(TLS_client_method());
    if (config.verify) {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        if (!config.ca_file.empty()) {
            check_readable(config.ca_file, "CA");
            if (SSL_CTX_load_verify_locations(ctx.get(), config.ca_file.c_str(), nullptr) != 1)
                throw std::runtime_error("CA file '" + config.ca_file +
                                         "' holds no PEM certificate (" +
                                         openssl_reason("unreadable") + ")");
        } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
            throw std::runtime_error("TLS: cannot load the system's trust store (" +
                                     openssl_reason("unknown") + ")");
        }
    } else {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    }
    return std::make_shared<OpenSslContext>(std::move(ctx), false);
}

std::string tls_library() {
    // "OpenSSL 3.0.11 19 Sep 2023" -> "OpenSSL 3.0.11"
    std::string v = OpenSSL_version(OPENSSL_VERSION);
    const auto first = v.find(' ');
    const auto second = first == std::string::npos ? first : v.find(' ', first + 1);
    return second == std::string::npos ? v : v.substr(0, second);
}

}  // namespace netcore
