// Whether this build's TLS can be a server here. Wine's Schannel cannot: its function table
// has no AcceptSecurityContext, so every server session fails with SEC_E_UNSUPPORTED_FUNCTION
// (docs/architecture.md, TLS on Windows). Under Wine, and only for that exact failure, the tests
// that need a TLS server are skipped with the reason; everywhere else they run, and a server
// session that fails for any other reason fails them.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "netcore/tls.hpp"

#ifdef _WIN32
#include <windows.h>
#endif

namespace testing_support {

inline bool running_under_wine() {
#ifdef _WIN32
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version") != nullptr;
#else
    return false;
#endif
}

// Why a TLS server cannot work here, or nothing. Probed once: a ClientHello through a server
// session made from the test certificates (NETCORE_TLS_TEST_DATA).
inline const std::optional<std::string>& tls_server_missing() {
    static const std::optional<std::string> why = []() -> std::optional<std::string> {
        if (!running_under_wine()) return std::nullopt;
        const std::string dir = NETCORE_TLS_TEST_DATA;
        auto server = netcore::TlsContext::server({dir + "/server.pem", dir + "/server.key"});
        auto client = netcore::TlsContext::client({dir + "/ca.pem", true});
        auto server_session = server->new_session();
        auto client_session = client->new_session("localhost");
        netcore::ByteBuffer hello, plain, answer;
        client_session->start(hello);
        if (server_session->receive(hello.readable(), plain, answer) ==
                netcore::TlsSession::Status::Failed &&
            server_session->error().find("SEC_E_UNSUPPORTED_FUNCTION") != std::string::npos)
            return "no TLS server under Wine: " + server_session->error();
        return std::nullopt;
    }();
    return why;
}

}  // namespace testing_support

// First line of a test that needs a TLS server (or of its fixture's SetUp).
#define SKIP_WITHOUT_TLS_SERVER()                                                                 \
    do {                                                                                          \
        if (const auto& why = ::testing_support::tls_server_missing(); why) GTEST_SKIP() << *why; \
    } while (false)
