// How a test reaches the server: in plaintext, or over TLS with the test certificates
// (tests/data/tls). The conformance suite runs the same bodies both ways.
#pragma once

#include <memory>
#include <string>

#include "netcore/server.hpp"
#include "netcore/tls.hpp"
#include "server_under_test.hpp"
#include "test_client.hpp"

namespace testing_support {

inline std::string tls_test_file(const std::string& name) {
    return std::string(NETCORE_TLS_TEST_DATA) + "/" + name;
}

// The server's context for `cert` (server, expired, otherhost) and a client's trusting the
// test CA; made once (a context serves any number of sessions).
inline std::shared_ptr<netcore::TlsContext> test_server_tls(const std::string& cert = "server") {
    return netcore::TlsContext::server(
        {tls_test_file(cert + ".pem"), tls_test_file(cert + ".key")});
}
inline std::shared_ptr<netcore::TlsContext> test_client_tls(bool verify = true) {
    netcore::TlsClientConfig config;
    config.ca_file = tls_test_file("ca.pem");
    config.verify = verify;
    return netcore::TlsContext::client(config);
}

struct Transport {
    std::string engine;
    bool tls = false;

    static Transport plain(std::string engine) {
        Transport t;
        t.engine = std::move(engine);
        return t;
    }
    static Transport secure(std::string engine) {
        Transport t = plain(std::move(engine));
        t.tls = true;
        t.server_tls = test_server_tls();
        t.client_tls = test_client_tls();
        return t;
    }

    // The server's options: its one listener speaks TLS when this transport does.
    netcore::ServerOptions options(netcore::ServerOptions o = test_server_options()) const {
        if (tls) {
            o.listen_tls = true;
            o.tls = server_tls;
        }
        return o;
    }
    TestClient client(std::uint16_t port, int rcvbuf = 0) const {
        if (!tls) return TestClient(port, rcvbuf);
        TestClient c(port, rcvbuf, client_tls);
        if (!c.tls_error().empty()) throw std::runtime_error("TLS handshake: " + c.tls_error());
        return c;
    }

    std::shared_ptr<netcore::TlsContext> server_tls, client_tls;
};

}  // namespace testing_support
