// TLS as a byte-stream filter: records in and out through memory, never through a socket, so
// every engine moves ciphertext without knowing and a session moves with its connection when
// the engine switches. OpenSSL 3 with memory BIOs on POSIX (src/tls/tls_openssl.cpp), Schannel
// on Windows (src/tls/tls_schannel.cpp); both behind this one interface.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "netcore/byte_buffer.hpp"

namespace netcore {

// What a session negotiated, for the operator's tables ("TLSv1.3", "TLS_AES_256_GCM_SHA384").
struct TlsInfo {
    std::string version;
    std::string cipher;
};

// One TLS session. Not thread-safe: its owner (the Connection) serialises every call under
// its own lock.
class TlsSession {
  public:
    virtual ~TlsSession() = default;

    enum class Status {
        Ok,      // go on (the handshake may still be under way)
        Closed,  // the peer sent close_notify: nothing more will be decrypted
        Failed,  // a handshake or record error; error() says which, the connection must end
    };

    // Starts the handshake: a client's first flight goes to `to_peer`; a server writes nothing.
    virtual void start(ByteBuffer& to_peer) = 0;
    // Ciphertext from the peer in: decrypted application bytes are appended to `plain`, and
    // whatever the session must answer (handshake flights, alerts) to `to_peer`.
    virtual Status receive(std::span<const std::byte> from_peer, ByteBuffer& plain,
                           ByteBuffer& to_peer) = 0;
    // Application bytes out, as records appended to `to_peer`. Before the handshake is done
    // they wait inside the session and go out with the first receive() that completes it.
    virtual Status send(std::span<const std::byte> plain, ByteBuffer& to_peer) = 0;
    // Our close_notify, appended to `to_peer` (a graceful close sends it before the FIN).
    virtual void close(ByteBuffer& to_peer) = 0;

    virtual bool handshake_done() const = 0;
    // Application bytes accepted by send() that are not yet records (waiting for the handshake).
    virtual std::size_t held_bytes() const = 0;
    virtual TlsInfo info() const = 0;       // empty strings until the handshake is done
    virtual std::string error() const = 0;  // after Failed: what went wrong, for a person
};

struct TlsServerConfig {
    std::string cert_file;  // PEM: the certificate, then any intermediates
    std::string key_file;   // PEM: its private key
};

struct TlsClientConfig {
    std::string ca_file;  // PEM bundle to trust; empty: the platform's trust store
    bool verify = true;   // false (--insecure): neither the chain nor the host name is checked
};

// Makes sessions; shared by every connection of a listener or a client, thread-safe.
class TlsContext {
  public:
    virtual ~TlsContext() = default;
    // Throw std::runtime_error with a message that names the file at fault.
    static std::shared_ptr<TlsContext> server(const TlsServerConfig& config);
    static std::shared_ptr<TlsContext> client(const TlsClientConfig& config);

    // `host`: for a client, the name to send (SNI) and to check the certificate against.
    virtual std::unique_ptr<TlsSession> new_session(std::string_view host = {}) = 0;
    virtual bool is_server() const = 0;
};

// Which library this build uses, for --version and the logs ("OpenSSL 3.0.11", "Schannel").
std::string tls_library();

}  // namespace netcore
