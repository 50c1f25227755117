// A client's check of the server's certificate, done here rather than left to Schannel
// (SCH_CRED_MANUAL_CRED_VALIDATION) so that one path serves both trust sources: a CA file
// (a chain engine whose only roots are its certificates) and the system's trust store. The
// chain is built by CertGetCertificateChain and judged by the SSL policy, host name included.
// Two checks are made here as well, because Wine's crypt32 skips them: a chain with any trust
// error fails even when the policy passes it (Wine's SSL policy passes a partial chain), and
// an IP address is matched against the certificate's iPAddress names (Wine's matches DNS
// names only).
#include <winsock2.h>
#include <ws2tcpip.h>
// winsock2 before windows.h (in tls_schannel.hpp).
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "tls/tls_schannel.hpp"

namespace netcore::schannel {

namespace {

std::string hex(DWORD code) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx", static_cast<unsigned long>(code));
    return text;
}

std::string narrow(const std::wstring& wide) {
    std::string out;
    for (wchar_t c : wide) out += c < 0x80 ? static_cast<char>(c) : '?';
    return out;
}

// The policy error a chain's trust error bits amount to.
DWORD chain_error(DWORD trust_errors) {
    if (trust_errors & CERT_TRUST_IS_NOT_TIME_VALID) return CERT_E_EXPIRED;
    if (trust_errors & CERT_TRUST_IS_REVOKED) return CERT_E_REVOKED;
    if (trust_errors & CERT_TRUST_IS_NOT_SIGNATURE_VALID) return TRUST_E_CERT_SIGNATURE;
    if (trust_errors & CERT_TRUST_IS_NOT_VALID_FOR_USAGE) return CERT_E_WRONG_USAGE;
    if (trust_errors & CERT_TRUST_IS_UNTRUSTED_ROOT) return CERT_E_UNTRUSTEDROOT;
    if (trust_errors & CERT_TRUST_IS_PARTIAL_CHAIN) return CERT_E_CHAINING;
    return trust_errors ? static_cast<DWORD>(CERT_E_CHAINING) : 0;
}

// The address `host` names, if it is an IPv4 or IPv6 literal.
std::optional<std::vector<BYTE>> ip_literal(const std::wstring& host) {
    in_addr v4;
    if (InetPtonW(AF_INET, host.c_str(), &v4) == 1) {
        const auto* b = reinterpret_cast<const BYTE*>(&v4);
        return std::vector<BYTE>(b, b + sizeof v4);
    }
    in6_addr v6;
    if (InetPtonW(AF_INET6, host.c_str(), &v6) == 1) {
        const auto* b = reinterpret_cast<const BYTE*>(&v6);
        return std::vector<BYTE>(b, b + sizeof v6);
    }
    return std::nullopt;
}

// Whether the certificate's subjectAltName lists `address` as an iPAddress.
bool names_address(PCCERT_CONTEXT cert, const std::vector<BYTE>& address) {
    const CERT_EXTENSION* ext = CertFindExtension(
        szOID_SUBJECT_ALT_NAME2, cert->pCertInfo->cExtension, cert->pCertInfo->rgExtension);
    if (!ext) return false;
    CERT_ALT_NAME_INFO* names = nullptr;
    DWORD size = 0;
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING, X509_ALTERNATE_NAME, ext->Value.pbData,
                             ext->Value.cbData, CRYPT_DECODE_ALLOC_FLAG, nullptr, &names, &size))
        return false;
    bool found = false;
    for (DWORD i = 0; i < names->cAltEntry && !found; ++i) {
        const CERT_ALT_NAME_ENTRY& entry = names->rgAltEntry[i];
        found = entry.dwAltNameChoice == CERT_ALT_NAME_IP_ADDRESS &&
                entry.IPAddress.cbData == address.size() &&
                std::memcmp(entry.IPAddress.pbData, address.data(), address.size()) == 0;
    }
    LocalFree(names);
    return found;
}

std::string describe(DWORD error, const std::wstring& host) {
    const auto code = static_cast<HRESULT>(error);
    std::string why;
    if (code == CERT_E_EXPIRED) {
        why = "the certificate has expired or is not yet valid";
    } else if (code == CERT_E_UNTRUSTEDROOT) {
        why = "the certificate's chain ends in a root that is not trusted";
    } else if (code == CERT_E_CHAINING) {
        why = "no chain to a trusted root could be built";
    } else if (code == CERT_E_CN_NO_MATCH) {
        why = "the certificate is not for host '" + narrow(host) + "'";
    } else if (code == CERT_E_WRONG_USAGE) {
        why = "the certificate is not for server authentication";
    } else if (code == CERT_E_REVOKED) {
        why = "the certificate has been revoked";
    } else if (code == TRUST_E_CERT_SIGNATURE) {
        why = "a signature in the certificate's chain does not verify";
    } else {
        why = "the certificate was refused";
    }
    return "certificate verify failed: " + why + " (" + hex(error) + ")";
}

}  // namespace

std::string verify_server_certificate(PCCERT_CONTEXT peer, const CertStore& roots,
                                      const std::wstring& host) {
    HCERTCHAINENGINE engine = nullptr;  // nullptr: the current user's, with the system roots
    if (roots) {
        CERT_CHAIN_ENGINE_CONFIG config{};
        config.cbSize = sizeof config;
        config.hExclusiveRoot = static_cast<HCERTSTORE>(roots.get());
        // Windows 8 added dwExclusiveFlags at the end; Windows 7 (and Wine) know the
        // structure only up to hExclusiveTrustedPeople and refuse the longer one.
        if (!CertCreateCertificateChainEngine(&config, &engine) &&
            (config.cbSize = offsetof(CERT_CHAIN_ENGINE_CONFIG, dwExclusiveFlags),
             !CertCreateCertificateChainEngine(&config, &engine)))
            return "certificate verify failed: cannot make a chain engine for the CA file (" +
                   hex(GetLastError()) + ")";
    }

    LPSTR server_auth = const_cast<LPSTR>(szOID_PKIX_KP_SERVER_AUTH);
    CERT_CHAIN_PARA para{};
    para.cbSize = sizeof para;
    para.RequestedUsage.dwType = USAGE_MATCH_TYPE_AND;
    para.RequestedUsage.Usage.cUsageIdentifier = 1;
    para.RequestedUsage.Usage.rgpszUsageIdentifier = &server_auth;
    PCCERT_CHAIN_CONTEXT chain = nullptr;
    // The peer's own store holds the intermediates it sent.
    const BOOL built =
        CertGetCertificateChain(engine, peer, nullptr, peer->hCertStore, &para, 0, nullptr, &chain);
    const DWORD build_error = GetLastError();
    if (engine) CertFreeCertificateChainEngine(engine);
    if (!built)
        return "certificate verify failed: no chain could be built (" + hex(build_error) + ")";

    SSL_EXTRA_CERT_CHAIN_POLICY_PARA ssl{};
    ssl.cbSize = sizeof ssl;
    ssl.dwAuthType = AUTHTYPE_SERVER;
    // An IP address is checked below; a name here (none: the chain only).
    const auto address = ip_literal(host);
    std::wstring name = address ? std::wstring() : host;
    ssl.pwszServerName = name.empty() ? nullptr : name.data();
    CERT_CHAIN_POLICY_PARA policy{};
    policy.cbSize = sizeof policy;
    policy.pvExtraPolicyPara = &ssl;
    CERT_CHAIN_POLICY_STATUS status{};
    status.cbSize = sizeof status;
    const BOOL judged =
        CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL, chain, &policy, &status);
    const DWORD policy_error = GetLastError();
    // No revocation check is asked for: not knowing a revocation status is no error here.
    const DWORD trust_errors =
        chain->TrustStatus.dwErrorStatus &
        ~(CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION);
    CertFreeCertificateChain(chain);
    if (!judged)
        return "certificate verify failed: the SSL policy could not be checked (" +
               hex(policy_error) + ")";
    if (status.dwError != 0) return describe(status.dwError, host);
    if (trust_errors != 0) return describe(chain_error(trust_errors), host);
    if (address && !names_address(peer, *address))
        return describe(static_cast<DWORD>(CERT_E_CN_NO_MATCH), host);
    return {};
}

}  // namespace netcore::schannel
