// TlsSession on Schannel (SSPI), Windows' own TLS. Like the OpenSSL one it sees only memory:
// ciphertext from the peer collects in `in_` and goes through InitializeSecurityContext /
// AcceptSecurityContext until the handshake is done, then through DecryptMessage in place;
// what Schannel makes for the peer (handshake flights, records, alerts) is appended to the
// caller's buffer. A record may arrive split at any byte: SEC_E_INCOMPLETE_MESSAGE waits for
// the rest, SECBUFFER_EXTRA keeps what follows a message for the next call.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "netcore/tls.hpp"
#include "tls/tls_schannel.hpp"

namespace netcore {

namespace {

using namespace schannel;

std::string status_text(SECURITY_STATUS status) {
    struct Name {
        SECURITY_STATUS status;
        const char* name;
    };
    static constexpr Name kNames[] = {
        {SEC_E_OK, "SEC_E_OK"},
        {SEC_I_CONTINUE_NEEDED, "SEC_I_CONTINUE_NEEDED"},
        {SEC_I_CONTEXT_EXPIRED, "SEC_I_CONTEXT_EXPIRED"},
        {SEC_I_RENEGOTIATE, "SEC_I_RENEGOTIATE"},
        {SEC_I_INCOMPLETE_CREDENTIALS, "SEC_I_INCOMPLETE_CREDENTIALS"},
        {SEC_E_INCOMPLETE_MESSAGE, "SEC_E_INCOMPLETE_MESSAGE"},
        {SEC_E_UNSUPPORTED_FUNCTION, "SEC_E_UNSUPPORTED_FUNCTION"},
        {SEC_E_INVALID_TOKEN, "SEC_E_INVALID_TOKEN"},
        {SEC_E_INVALID_HANDLE, "SEC_E_INVALID_HANDLE"},
        {SEC_E_ILLEGAL_MESSAGE, "SEC_E_ILLEGAL_MESSAGE"},
        {SEC_E_DECRYPT_FAILURE, "SEC_E_DECRYPT_FAILURE"},
        {SEC_E_MESSAGE_ALTERED, "SEC_E_MESSAGE_ALTERED"},
        {SEC_E_ALGORITHM_MISMATCH, "SEC_E_ALGORITHM_MISMATCH"},
        {SEC_E_INTERNAL_ERROR, "SEC_E_INTERNAL_ERROR"},
        {SEC_E_UNKNOWN_CREDENTIALS, "SEC_E_UNKNOWN_CREDENTIALS"},
        {SEC_E_NO_CREDENTIALS, "SEC_E_NO_CREDENTIALS"},
        {SEC_E_NO_AUTHENTICATING_AUTHORITY, "SEC_E_NO_AUTHENTICATING_AUTHORITY"},
        {SEC_E_CERT_EXPIRED, "SEC_E_CERT_EXPIRED"},
        {SEC_E_CERT_UNKNOWN, "SEC_E_CERT_UNKNOWN"},
        {SEC_E_UNTRUSTED_ROOT, "SEC_E_UNTRUSTED_ROOT"},
        {SEC_E_WRONG_PRINCIPAL, "SEC_E_WRONG_PRINCIPAL"},
        {SEC_E_CONTEXT_EXPIRED, "SEC_E_CONTEXT_EXPIRED"},
        {SEC_E_BUFFER_TOO_SMALL, "SEC_E_BUFFER_TOO_SMALL"},
        {SEC_E_INSUFFICIENT_MEMORY, "SEC_E_INSUFFICIENT_MEMORY"},
    };
    char code[16];
    std::snprintf(code, sizeof code, "0x%08lx", static_cast<unsigned long>(status));
    for (const Name& n : kNames)
        if (n.status == status) return std::string(n.name) + " (" + code + ")";
    return code;
}

std::wstring widen(std::string_view text) {
    if (text.empty()) return {};
    const int n =
        MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring wide(static_cast<std::size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), n);
    return wide;
}

std::string narrow(const wchar_t* text) {
    std::string out;
    for (; *text; ++text) out += *text < 0x80 ? static_cast<char>(*text) : '?';
    return out;
}

constexpr DWORD kTls12 = SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_2_CLIENT;
constexpr DWORD kTls13 = SP_PROT_TLS1_3_SERVER | SP_PROT_TLS1_3_CLIENT;

// Our credential with Schannel. SCH_CREDENTIALS is the form that reaches TLS 1.3 on Windows 10
// 1809 and later; older Windows take only SCHANNEL_CRED, first asked for 1.2 and 1.3, then
// for 1.2 alone. Never below 1.2: a credential is kept only if Schannel says it allows no
// other versions (Wine 8 accepts SCH_CREDENTIALS but ignores its versions, and would speak
// TLS 1.0), and the handshake checks the version negotiated too.
class Credential {
  public:
    Credential(bool server, PCCERT_CONTEXT cert) {
        const DWORD use = server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND;
        const DWORD tls12 = server ? SP_PROT_TLS1_2_SERVER : SP_PROT_TLS1_2_CLIENT;
        const DWORD tls13 = server ? SP_PROT_TLS1_3_SERVER : SP_PROT_TLS1_3_CLIENT;
        // The client checks the server's certificate itself (tls_schannel_verify.cpp) and
        // never offers one of its own.
        const DWORD flags =
            server ? 0 : SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_DEFAULT_CREDS;
        PCCERT_CONTEXT certs[1] = {cert};
        const DWORD cert_count = cert ? 1 : 0;

        TLS_PARAMETERS versions{};
        versions.grbitDisabledProtocols = ~(tls12 | tls13);
        SCH_CREDENTIALS modern{};
        modern.dwVersion = SCH_CREDENTIALS_VERSION;
        modern.cCreds = cert_count;
        modern.paCred = certs;
        modern.dwFlags = flags | SCH_USE_STRONG_CRYPTO;
        modern.cTlsParameters = 1;
        modern.pTlsParameters = &versions;
        status_ = acquire(use, &modern);
        for (DWORD protocols : {tls12 | tls13, tls12}) {
            if (status_ == SEC_E_OK) break;
            SCHANNEL_CRED legacy{};
            legacy.dwVersion = SCHANNEL_CRED_VERSION;
            legacy.cCreds = cert_count;
            legacy.paCred = certs;
            legacy.grbitEnabledProtocols = protocols;
            legacy.dwFlags = flags;
            status_ = acquire(use, &legacy);
        }
    }
    ~Credential() {
        if (status_ == SEC_E_OK) FreeCredentialsHandle(&handle_);
    }
    Credential(const Credential&) = delete;
    Credential& operator=(const Credential&) = delete;

    SECURITY_STATUS status() const { return status_; }
    CredHandle* handle() { return &handle_; }

  private:
    // A credential in the form `auth_data`, kept if its versions are TLS 1.2 and 1.3 only.
    SECURITY_STATUS acquire(DWORD use, void* auth_data) {
        TimeStamp expiry;
        SECURITY_STATUS status =
            AcquireCredentialsHandleW(nullptr, const_cast<wchar_t*>(UNISP_NAME_W), use, nullptr,
                                      auth_data, nullptr, nullptr, &handle_, &expiry);
        if (status != SEC_E_OK) return status;
        // An empty set is no answer for a server credential (Wine never fills it in for one),
        // but for a client's it is Wine's SCH_CREDENTIALS with its versions ignored.
        SecPkgCred_SupportedProtocols allowed{};
        if (QueryCredentialsAttributesW(&handle_, SECPKG_ATTR_SUPPORTED_PROTOCOLS, &allowed) ==
                SEC_E_OK &&
            ((allowed.grbitProtocol == 0 && use == SECPKG_CRED_OUTBOUND) ||
             (allowed.grbitProtocol & ~(kTls12 | kTls13)) != 0)) {
            FreeCredentialsHandle(&handle_);
            return SEC_E_ALGORITHM_MISMATCH;
        }
        return status;
    }

    CredHandle handle_{};
    SECURITY_STATUS status_ = SEC_E_INTERNAL_ERROR;
};

class SchannelContext final : public TlsContext,
                              public std::enable_shared_from_this<SchannelContext> {
  public:
    SchannelContext(std::unique_ptr<ServerCertificate> cert, std::unique_ptr<Credential> credential,
                    CertStore roots, bool verify)
        : cert_(std::move(cert)),
          credential_(std::move(credential)),
          roots_(std::move(roots)),
          verify_(verify) {}

    std::unique_ptr<TlsSession> new_session(std::string_view host) override;
    bool is_server() const override { return cert_ != nullptr; }

    CredHandle* credential() { return credential_->handle(); }
    bool verify() const { return verify_; }
    const CertStore& roots() const { return roots_; }

  private:
    const std::unique_ptr<ServerCertificate> cert_;  // servers only
    // Declared after cert_: released before the key it names is deleted.
    const std::unique_ptr<Credential> credential_;
    const CertStore roots_;  // a client's CA file; empty: the system's
    const bool verify_;
};

class SchannelSession final : public TlsSession {
  public:
    SchannelSession(std::shared_ptr<SchannelContext> context, std::string_view host)
        : context_(std::move(context)), server_(context_->is_server()), host_(widen(host)) {
        SecInvalidateHandle(&ctx_);
    }
    ~SchannelSession() override {
        if (SecIsValidHandle(&ctx_)) DeleteSecurityContext(&ctx_);
    }
    SchannelSession(const SchannelSession&) = delete;
    SchannelSession& operator=(const SchannelSession&) = delete;

    void start(ByteBuffer& to_peer) override {
        if (!server_) advance_handshake(to_peer);
    }

    Status receive(std::span<const std::byte> from_peer, ByteBuffer& plain,
                   ByteBuffer& to_peer) override {
        if (failed_) return Status::Failed;
        if (peer_closed_) return Status::Closed;
        in_.insert(in_.end(), reinterpret_cast<const BYTE*>(from_peer.data()),
                   reinterpret_cast<const BYTE*>(from_peer.data()) + from_peer.size());
        if (!done_) advance_handshake(to_peer);
        if (done_ && !failed_) read_records(plain, to_peer);
        if (failed_) return Status::Failed;
        return peer_closed_ ? Status::Closed : Status::Ok;
    }

    Status send(std::span<const std::byte> plain, ByteBuffer& to_peer) override {
        if (failed_) return Status::Failed;
        if (sent_close_) {
            fail("send after close");
            return Status::Failed;
        }
        if (!done_) {
            held_.append(plain);
            return Status::Ok;
        }
        write_records(plain, to_peer);
        return failed_ ? Status::Failed : Status::Ok;
    }

    void close(ByteBuffer& to_peer) override {
        if (!done_ || failed_ || sent_close_) return;  // no close_notify before a handshake
        sent_close_ = true;
        DWORD shutdown = SCHANNEL_SHUTDOWN;
        control(&shutdown, sizeof shutdown, to_peer);
    }

    bool handshake_done() const override { return done_; }
    std::size_t held_bytes() const override { return held_.size(); }
    TlsInfo info() const override { return info_; }
    std::string error() const override { return error_; }

  private:
    // One InitializeSecurityContext (client) or AcceptSecurityContext (server) over `in_`:
    // its output goes to `to_peer`, and `in_` keeps only what the call did not consume.
    SECURITY_STATUS negotiate(ByteBuffer& to_peer) {
        SecBuffer input[2] = {
            {static_cast<unsigned long>(in_.size()), SECBUFFER_TOKEN, in_.data()},
            {0, SECBUFFER_EMPTY, nullptr},
        };
        SecBufferDesc input_desc{SECBUFFER_VERSION, 2, input};
        SecBuffer output[2] = {{0, SECBUFFER_TOKEN, nullptr}, {0, SECBUFFER_ALERT, nullptr}};
        SecBufferDesc output_desc{SECBUFFER_VERSION, 2, output};
        const bool first = !SecIsValidHandle(&ctx_);
        // No input at all (not an empty token) for a client's first call and after a control
        // token, as Schannel expects.
        SecBufferDesc* given = in_.empty() ? nullptr : &input_desc;
        unsigned long attributes = 0;
        SECURITY_STATUS status;
        if (server_) {
            status = AcceptSecurityContext(context_->credential(), first ? nullptr : &ctx_, given,
                                           ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT |
                                               ASC_REQ_CONFIDENTIALITY | ASC_REQ_EXTENDED_ERROR |
                                               ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM,
                                           0, &ctx_, &output_desc, &attributes, nullptr);
        } else {
            status = InitializeSecurityContextW(
                context_->credential(), first ? nullptr : &ctx_,
                host_.empty() ? nullptr : host_.data(),
                ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY |
                    ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM |
                    ISC_REQ_MANUAL_CRED_VALIDATION | ISC_REQ_USE_SUPPLIED_CREDS,
                0, 0, first ? nullptr : given, 0, &ctx_, &output_desc, &attributes, nullptr);
        }
        for (SecBuffer& out : output) {
            if (out.pvBuffer && out.cbBuffer > 0)
                to_peer.append({static_cast<const std::byte*>(out.pvBuffer), out.cbBuffer});
            if (out.pvBuffer) FreeContextBuffer(out.pvBuffer);
        }
        if (status == SEC_E_INCOMPLETE_MESSAGE) return status;
        if (input[1].BufferType == SECBUFFER_EXTRA && input[1].cbBuffer > 0)
            keep_last(input[1].cbBuffer);
        else if (!first || server_)
            in_.clear();
        return status;
    }

    // Schannel waits for a whole record before judging one, and Wine's takes any five bytes
    // for a header: a peer that speaks no TLS (a plaintext client, an HTTP server) would be
    // waited on for up to 64 KB. The record layer's first bytes are checked here instead.
    bool record_start_is_tls() {
        if (in_.empty()) return true;
        const BYTE type = in_[0];  // change_cipher_spec, alert, handshake, application_data
        const bool tls = type >= 20 && type <= 23 && (in_.size() < 2 || in_[1] == 3) &&
                         (in_.size() < 5 || ((in_[3] << 8) | in_[4]) <= 16384 + 2048);
        if (!tls) {
            char first[8];
            std::snprintf(first, sizeof first, "0x%02x", type);
            fail(done_ ? std::string("bad record (a record cannot start with ") + first + ")"
                       : std::string("the peer does not speak TLS (it sent ") + first +
                             " where a TLS record starts)");
        }
        return tls;
    }

    void advance_handshake(ByteBuffer& to_peer) {
        // A client's first call needs no input; every later one (and every server call) does.
        while (!failed_ && !done_ && (!in_.empty() || (!server_ && !SecIsValidHandle(&ctx_)))) {
            if (!record_start_is_tls()) return;
            const SECURITY_STATUS status = negotiate(to_peer);
            if (status == SEC_E_INCOMPLETE_MESSAGE) return;
            if (status == SEC_E_OK) {
                finish_handshake(to_peer);
            } else if (status != SEC_I_CONTINUE_NEEDED) {
                fail("handshake failed: " + status_text(status) + explain(status));
            } else if (in_.empty()) {
                return;  // the peer's next flight is needed
            }
        }
    }

    // Handshake done: the client checks the server's certificate before any byte moves.
    void finish_handshake(ByteBuffer& to_peer) {
        if (!server_ && context_->verify()) {
            PCCERT_CONTEXT peer = nullptr;
            const SECURITY_STATUS status =
                QueryContextAttributesW(&ctx_, SECPKG_ATTR_REMOTE_CERT_CONTEXT, &peer);
            if (status != SEC_E_OK || !peer) {
                fail("certificate verify failed: the server sent no certificate (" +
                     status_text(status) + ")");
                return;
            }
            std::string why = verify_server_certificate(peer, context_->roots(), host_);
            CertFreeCertificateContext(peer);
            if (!why.empty()) {
                SCHANNEL_ALERT_TOKEN alert{SCHANNEL_ALERT, TLS1_ALERT_FATAL,
                                           TLS1_ALERT_BAD_CERTIFICATE};
                control(&alert, sizeof alert, to_peer);
                fail(std::move(why));
                return;
            }
        }
        const SECURITY_STATUS status =
            QueryContextAttributesW(&ctx_, SECPKG_ATTR_STREAM_SIZES, &sizes_);
        if (status != SEC_E_OK) {
            fail("cannot read the record sizes: " + status_text(status));
            return;
        }
        info_ = query_info();
        if (info_.version != "TLSv1.2" && info_.version != "TLSv1.3") {
            fail("handshake failed: the peer negotiated " +
                 (info_.version.empty() ? std::string("an unknown version") : info_.version) +
                 ", below TLS 1.2");
            return;
        }
        done_ = true;
        if (!held_.empty()) {
            ByteBuffer held;
            held.swap(held_);
            write_records(held.readable(), to_peer);
        }
    }

    TlsInfo query_info() {
        TlsInfo info;
        SecPkgContext_ConnectionInfo connection{};
        if (QueryContextAttributesW(&ctx_, SECPKG_ATTR_CONNECTION_INFO, &connection) != SEC_E_OK)
            return info;
        if (connection.dwProtocol & kTls13)
            info.version = "TLSv1.3";
        else if (connection.dwProtocol & kTls12)
            info.version = "TLSv1.2";
        else if (connection.dwProtocol & (SP_PROT_TLS1_1_SERVER | SP_PROT_TLS1_1_CLIENT))
            info.version = "TLSv1.1";
        else if (connection.dwProtocol & (SP_PROT_TLS1_0_SERVER | SP_PROT_TLS1_0_CLIENT))
            info.version = "TLSv1";
        else
            info.version = "unknown";
        SecPkgContext_CipherInfo cipher{};
        cipher.dwVersion = SECPKGCONTEXT_CIPHERINFO_V1;
        if (QueryContextAttributesW(&ctx_, SECPKG_ATTR_CIPHER_INFO, &cipher) == SEC_E_OK)
            info.cipher = narrow(cipher.szCipherSuite);  // "TLS_AES_256_GCM_SHA384"
        // Wine's names lack their hash ("TLS_ECDHE_RSA_WITH_AES_256_GCM_<unknown>").
        if (info.cipher.empty() || info.cipher.find('<') != std::string::npos)
            info.cipher = cipher_from(connection);
        return info;
    }

    // "ECDHE_AES_256_SHA384" from the algorithm ids of SECPKG_ATTR_CONNECTION_INFO.
    static std::string cipher_from(const SecPkgContext_ConnectionInfo& c) {
        std::string name;
        switch (c.aiExch) {
            case CALG_ECDH_EPHEM:
                name = "ECDHE_";
                break;
            case CALG_ECDH:
                name = "ECDH_";
                break;
            case CALG_DH_EPHEM:
                name = "DHE_";
                break;
            case CALG_RSA_KEYX:
                name = "RSA_";
                break;
            default:
                break;
        }
        switch (c.aiCipher) {
            case CALG_AES_128:
                name += "AES_128";
                break;
            case CALG_AES_256:
                name += "AES_256";
                break;
            default:
                name += "CIPHER_" + std::to_string(c.aiCipher) + "_" +
                        std::to_string(c.dwCipherStrength);
                break;
        }
        switch (c.aiHash) {
            case CALG_SHA_256:
                name += "_SHA256";
                break;
            case CALG_SHA_384:
                name += "_SHA384";
                break;
            case CALG_SHA1:
                name += "_SHA1";
                break;
            default:
                break;
        }
        return name;
    }

    void read_records(ByteBuffer& plain, ByteBuffer& to_peer) {
        while (!failed_ && !peer_closed_ && !in_.empty()) {
            if (!record_start_is_tls()) return;
            const bool alert = in_[0] == 21;
            if (renegotiating_) {
                // A TLS 1.3 post-handshake message (a ticket, a key update) goes back through
                // InitializeSecurityContext/AcceptSecurityContext, as Schannel asks.
                const SECURITY_STATUS status = negotiate(to_peer);
                if (status == SEC_E_INCOMPLETE_MESSAGE) return;
                if (status == SEC_E_OK)
                    renegotiating_ = false;
                else if (status != SEC_I_CONTINUE_NEEDED)
                    fail("post-handshake message refused: " + status_text(status));
                continue;
            }
            SecBuffer buffers[4] = {
                {static_cast<unsigned long>(in_.size()), SECBUFFER_DATA, in_.data()},
                {0, SECBUFFER_EMPTY, nullptr},
                {0, SECBUFFER_EMPTY, nullptr},
                {0, SECBUFFER_EMPTY, nullptr},
            };
            SecBufferDesc desc{SECBUFFER_VERSION, 4, buffers};
            const SECURITY_STATUS status = DecryptMessage(&ctx_, &desc, 0, nullptr);
            if (status == SEC_E_INCOMPLETE_MESSAGE) return;
            if (status != SEC_E_OK && status != SEC_I_RENEGOTIATE &&
                status != SEC_I_CONTEXT_EXPIRED) {
                fail("bad record: " + status_text(status));
                return;
            }
            // The plaintext lies inside in_ (decrypted in place): copy it out before in_ moves.
            std::size_t extra = 0, data = 0;
            for (const SecBuffer& b : buffers) {
                if (b.BufferType == SECBUFFER_DATA && b.cbBuffer > 0) {
                    plain.append({static_cast<const std::byte*>(b.pvBuffer), b.cbBuffer});
                    data += b.cbBuffer;
                } else if (b.BufferType == SECBUFFER_EXTRA) {
                    extra = b.cbBuffer;
                }
            }
            keep_last(extra);
            // The peer's close_notify: SEC_I_CONTEXT_EXPIRED on Windows. Wine's GnuTLS-based
            // Schannel answers SEC_E_OK with no data instead; an alert record read without an
            // error can only be that (any other alert fails the call).
            if (status == SEC_I_CONTEXT_EXPIRED || (status == SEC_E_OK && alert && data == 0))
                peer_closed_ = true;
            if (status == SEC_I_RENEGOTIATE) renegotiating_ = true;
        }
    }

    // Encrypts `plain` in records of at most cbMaximumMessage bytes each.
    void write_records(std::span<const std::byte> plain, ByteBuffer& to_peer) {
        while (!plain.empty() && !failed_) {
            const std::size_t n = std::min<std::size_t>(plain.size(), sizes_.cbMaximumMessage);
            record_.resize(sizes_.cbHeader + n + sizes_.cbTrailer);
            std::memcpy(record_.data() + sizes_.cbHeader, plain.data(), n);
            SecBuffer buffers[4] = {
                {sizes_.cbHeader, SECBUFFER_STREAM_HEADER, record_.data()},
                {static_cast<unsigned long>(n), SECBUFFER_DATA, record_.data() + sizes_.cbHeader},
                {sizes_.cbTrailer, SECBUFFER_STREAM_TRAILER, record_.data() + sizes_.cbHeader + n},
                {0, SECBUFFER_EMPTY, nullptr},
            };
            SecBufferDesc desc{SECBUFFER_VERSION, 4, buffers};
            const SECURITY_STATUS status = EncryptMessage(&ctx_, 0, &desc, 0);
            if (status != SEC_E_OK) {
                fail("cannot encrypt: " + status_text(status));
                return;
            }
            // Header, data and trailer are contiguous; the trailer may be shorter than asked.
            const std::size_t made =
                std::size_t{buffers[0].cbBuffer} + buffers[1].cbBuffer + buffers[2].cbBuffer;
            to_peer.append({reinterpret_cast<const std::byte*>(record_.data()), made});
            plain = plain.subspan(n);
        }
    }

    // ApplyControlToken (a shutdown or an alert), then the record Schannel makes for it.
    void control(void* token, unsigned long size, ByteBuffer& to_peer) {
        SecBuffer buffer{size, SECBUFFER_TOKEN, token};
        SecBufferDesc desc{SECBUFFER_VERSION, 1, &buffer};
        if (!SecIsValidHandle(&ctx_) || ApplyControlToken(&ctx_, &desc) != SEC_E_OK) return;
        std::vector<BYTE> no_input;
        no_input.swap(in_);
        negotiate(to_peer);
        in_.swap(no_input);
    }

    void keep_last(std::size_t n) {
        if (n >= in_.size()) return;
        in_.erase(in_.begin(), in_.end() - static_cast<std::ptrdiff_t>(n));
    }

    static std::string explain(SECURITY_STATUS status) {
        if (status == SEC_E_UNSUPPORTED_FUNCTION)
            return ": this Schannel cannot do it (Wine's has no AcceptSecurityContext, no TLS "
                   "server side)";
        return {};
    }

    void fail(std::string why) {
        failed_ = true;
        held_.clear();
        error_ = std::move(why);
    }

    const std::shared_ptr<SchannelContext> context_;  // keeps the credential alive
    const bool server_;
    std::wstring host_;  // the name sent (SNI) and checked; empty: none
    CtxtHandle ctx_;
    SecPkgContext_StreamSizes sizes_{};
    std::vector<BYTE> in_;      // ciphertext from the peer not yet consumed
    std::vector<BYTE> record_;  // one record being encrypted
    ByteBuffer held_;           // application bytes sent before the handshake finished
    TlsInfo info_;
    bool done_ = false;
    bool failed_ = false;
    bool peer_closed_ = false;
    bool sent_close_ = false;
    bool renegotiating_ = false;
    std::string error_;
};

std::unique_ptr<TlsSession> SchannelContext::new_session(std::string_view host) {
    return std::make_unique<SchannelSession>(shared_from_this(), host);
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::server(const TlsServerConfig& config) {
    auto cert = ServerCertificate::load(config.cert_file, config.key_file);
    // CNG first: Windows' Schannel signs TLS 1.3 handshakes only with CNG keys. Wine's reads
    // CryptoAPI containers only, and refuses the credential until the key is in one.
    std::string refusals;
    using Store = ServerCertificate::KeyStore;
    for (Store store : {Store::Cng, Store::CryptoApi}) {
        std::string why;
        if (cert->store_key(store, why)) {
            auto credential = std::make_unique<Credential>(true, cert->certificate());
            if (credential->status() == SEC_E_OK)
                return std::make_shared<SchannelContext>(std::move(cert), std::move(credential),
                                                         CertStore(), false);
            why = "AcquireCredentialsHandle: " + status_text(credential->status());
            credential.reset();
            cert->drop_key();
        }
        refusals +=
            std::string(refusals.empty() ? "" : "; ") + ServerCertificate::name(store) + ": " + why;
    }
    throw std::runtime_error("certificate file '" + config.cert_file + "' and key file '" +
                             config.key_file + "': Schannel cannot use them (" + refusals + ")");
}

std::shared_ptr<TlsContext> TlsContext::client(const TlsClientConfig& config) {
    CertStore roots;
    if (config.verify && !config.ca_file.empty()) roots = load_ca_store(config.ca_file);
    auto credential = std::make_unique<Credential>(false, nullptr);
    if (credential->status() != SEC_E_OK)
        throw std::runtime_error("TLS: Schannel gives no client credential (" +
                                 status_text(credential->status()) + ")");
    return std::make_shared<SchannelContext>(nullptr, std::move(credential), std::move(roots),
                                             config.verify);
}

std::string tls_library() {
    return "Schannel";
}

}  // namespace netcore
