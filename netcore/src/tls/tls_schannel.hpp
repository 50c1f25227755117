// What the Schannel TLS files share: the PEM files turned into CryptoAPI objects
// (tls_schannel_credentials.cpp) and the server certificate check of a client
// (tls_schannel_verify.cpp). Windows only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#ifndef SECURITY_WIN32
#define SECURITY_WIN32
#endif
// The order matters: windows.h first (the CryptoAPI and SSPI headers build on its types), and
// subauth.h (UNICODE_STRING) before schannel.h, which declares SCH_CREDENTIALS (the form that
// reaches TLS 1.3) only with SCHANNEL_USE_BLACKLISTS.
// clang-format off
#include <windows.h>
#include <wincrypt.h>
#include <ncrypt.h>
#include <subauth.h>
#define SCHANNEL_USE_BLACKLISTS
#include <schannel.h>
#include <security.h>
// clang-format on

namespace netcore::schannel {

// A certificate store closed when the last owner lets go.
using CertStore = std::shared_ptr<void>;

// The server's certificate (the first of the PEM file, any intermediates beside it in its
// store) and its RSA private key, checked to belong together. Schannel (in LSASS on Windows)
// opens the key by name, so it must be stored as a persisted key: store_key() puts it in a key
// store under a fresh name and points the certificate at it; the key is deleted again by
// drop_key() or with this object.
class ServerCertificate {
  public:
    // Throws std::runtime_error naming the file at fault.
    static std::unique_ptr<ServerCertificate> load(const std::string& cert_file,
                                                   const std::string& key_file);
    ~ServerCertificate();
    ServerCertificate(const ServerCertificate&) = delete;
    ServerCertificate& operator=(const ServerCertificate&) = delete;

    enum class KeyStore {
        Cng,        // the Software Key Storage Provider: what Windows' TLS 1.3 server needs
        CryptoApi,  // a legacy RSA container: what Wine's Schannel reads (it has no CNG keys)
    };
    static const char* name(KeyStore store);
    // False, with why in `why`, when the store refuses the key.
    bool store_key(KeyStore store, std::string& why);
    void drop_key();

    PCCERT_CONTEXT certificate() const { return cert_; }

  private:
    ServerCertificate() = default;
    CertStore store_;
    PCCERT_CONTEXT cert_ = nullptr;
    std::vector<BYTE> pkcs8_;     // the key as PKCS#8 PrivateKeyInfo (for CNG)
    std::vector<BYTE> key_blob_;  // the key as a CryptoAPI PRIVATEKEYBLOB
    std::wstring key_name_;       // the stored key's name; empty while none is stored
    KeyStore stored_in_ = KeyStore::Cng;
};

// Every certificate of a PEM bundle in a memory store; throws naming the file if it has none.
CertStore load_ca_store(const std::string& ca_file);

// Checks the certificate a server presented: its chain up to a root of `roots` (or of the
// system's trust store when `roots` is empty), validity dates, and, if `host` is not empty,
// that it names `host`. Empty when it passes, else why not, for a person.
std::string verify_server_certificate(PCCERT_CONTEXT peer, const CertStore& roots,
                                      const std::wstring& host);

}  // namespace netcore::schannel
