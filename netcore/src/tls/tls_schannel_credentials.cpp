// The PEM files of TlsServerConfig and TlsClientConfig turned into what Schannel takes: a
// certificate context whose RSA private key is a persisted key it can open by name, and a store
// of trusted roots. Schannel reads no PEM itself: the base64 goes through CryptStringToBinaryA,
// the key through CryptDecodeObjectEx (PKCS#1), its PKCS#8 wrapper taken off or put on here
// (Wine's crypt32 has no PKCS_PRIVATE_KEY_INFO decoder, and the wrapper is three DER elements).
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "tls/tls_schannel.hpp"

namespace netcore::schannel {

namespace {

using Bytes = std::vector<BYTE>;

std::string read_file(const std::string& path, const char* what) {
    if (path.empty()) throw std::runtime_error(std::string("no ") + what + " file given");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + what + " file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct PemBlock {
    std::string label;         // "CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", ...
    std::optional<Bytes> der;  // empty when the base64 inside does not decode
};

// Every "-----BEGIN X-----" ... "-----END X-----" block of `text`, in order.
std::vector<PemBlock> pem_blocks(const std::string& text) {
    static constexpr std::string_view kBegin = "-----BEGIN ";
    std::vector<PemBlock> blocks;
    std::size_t at = 0;
    while ((at = text.find(kBegin, at)) != std::string::npos) {
        const std::size_t label_at = at + kBegin.size();
        const std::size_t label_end = text.find("-----", label_at);
        if (label_end == std::string::npos) break;
        PemBlock block{text.substr(label_at, label_end - label_at), std::nullopt};
        const std::string end_line = "-----END " + block.label + "-----";
        const std::size_t body_at = label_end + 5;
        const std::size_t body_end = text.find(end_line, body_at);
        if (body_end == std::string::npos) break;
        const char* body = text.data() + body_at;
        const auto body_size = static_cast<DWORD>(body_end - body_at);
        DWORD size = 0;
        if (CryptStringToBinaryA(body, body_size, CRYPT_STRING_BASE64, nullptr, &size, nullptr,
                                 nullptr)) {
            Bytes der(size);
            if (CryptStringToBinaryA(body, body_size, CRYPT_STRING_BASE64, der.data(), &size,
                                     nullptr, nullptr)) {
                der.resize(size);
                block.der = std::move(der);
            }
        }
        blocks.push_back(std::move(block));
        at = body_end + end_line.size();
    }
    return blocks;
}

// One DER element: its tag, its contents and what follows it.
struct DerElement {
    BYTE tag;
    std::span<const BYTE> contents;
    std::span<const BYTE> rest;
};

std::optional<DerElement> der_next(std::span<const BYTE> in) {
    if (in.size() < 2) return std::nullopt;
    std::size_t length = in[1];
    std::size_t header = 2;
    if (length & 0x80) {
        const std::size_t count = length & 0x7f;
        if (count == 0 || count > 3 || in.size() < 2 + count) return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < count; ++i) length = (length << 8) | in[2 + i];
        header += count;
    }
    if (in.size() - header < length) return std::nullopt;
    return DerElement{in[0], in.subspan(header, length), in.subspan(header + length)};
}

constexpr BYTE kRsaAlgorithm[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                  0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};  // rsaEncryption, NULL

void append_der(Bytes& out, BYTE tag, std::span<const BYTE> contents) {
    out.push_back(tag);
    const std::size_t n = contents.size();
    if (n < 0x80) {
        out.push_back(static_cast<BYTE>(n));
    } else if (n < 0x100) {
        out.insert(out.end(), {0x81, static_cast<BYTE>(n)});
    } else if (n < 0x10000) {
        out.insert(out.end(), {0x82, static_cast<BYTE>(n >> 8), static_cast<BYTE>(n)});
    } else {
        out.insert(out.end(), {0x83, static_cast<BYTE>(n >> 16), static_cast<BYTE>(n >> 8),
                               static_cast<BYTE>(n)});
    }
    out.insert(out.end(), contents.begin(), contents.end());
}

// PKCS#8 PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier,
// privateKey OCTET STRING, ... }: the PKCS#1 RSAPrivateKey inside, if the algorithm is RSA.
std::optional<std::span<const BYTE>> unwrap_pkcs8_rsa(std::span<const BYTE> der) {
    // rsaEncryption's OID, the first element of the AlgorithmIdentifier.
    const std::span<const BYTE> kRsaEncryptionOid(kRsaAlgorithm + 2, 11);
    const auto info = der_next(der);
    if (!info || info->tag != 0x30) return std::nullopt;
    const auto version = der_next(info->contents);
    if (!version || version->tag != 0x02) return std::nullopt;
    const auto algorithm = der_next(version->rest);
    if (!algorithm || algorithm->tag != 0x30) return std::nullopt;
    if (algorithm->contents.size() < kRsaEncryptionOid.size() ||
        std::memcmp(algorithm->contents.data(), kRsaEncryptionOid.data(),
                    kRsaEncryptionOid.size()) != 0)
        return std::nullopt;
    const auto key = der_next(algorithm->rest);
    if (!key || key->tag != 0x04) return std::nullopt;
    return key->contents;
}

// A PKCS#1 RSAPrivateKey wrapped as PKCS#8 PrivateKeyInfo (version 0, rsaEncryption).
Bytes wrap_pkcs8_rsa(std::span<const BYTE> pkcs1) {
    Bytes inner = {0x02, 0x01, 0x00};
    inner.insert(inner.end(), std::begin(kRsaAlgorithm), std::end(kRsaAlgorithm));
    append_der(inner, 0x04, pkcs1);
    Bytes info;
    append_der(info, 0x30, inner);
    return info;
}

template <typename Out>
bool decode(LPCSTR type, std::span<const BYTE> der, Bytes& out) {
    DWORD size = 0;
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, type, der.data(),
                             static_cast<DWORD>(der.size()), 0, nullptr, nullptr, &size))
        return false;
    out.resize(size);
    if (!CryptDecodeObjectEx(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, type, der.data(),
                             static_cast<DWORD>(der.size()), 0, nullptr, out.data(), &size))
        return false;
    out.resize(size);
    return sizeof(Out) <= size;
}

struct PrivateKey {
    Bytes pkcs8;  // PrivateKeyInfo
    Bytes blob;   // PRIVATEKEYBLOB
};

// The key file's RSA key, PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY").
PrivateKey load_private_key(const std::string& key_file) {
    const auto fail = [&](const std::string& why) {
        return std::runtime_error("private key file '" + key_file + "' " + why);
    };
    for (const PemBlock& block : pem_blocks(read_file(key_file, "private key"))) {
        PrivateKey key;
        std::span<const BYTE> pkcs1;
        if (block.label == "PRIVATE KEY") {
            if (!block.der) throw fail("holds a PEM block that is not base64");
            const auto inner = unwrap_pkcs8_rsa(*block.der);
            if (!inner) throw fail("holds no RSA key (Schannel here takes RSA keys only)");
            pkcs1 = *inner;
            key.pkcs8 = *block.der;
        } else if (block.label == "RSA PRIVATE KEY") {
            if (!block.der) throw fail("holds a PEM block that is not base64");
            pkcs1 = *block.der;
            key.pkcs8 = wrap_pkcs8_rsa(pkcs1);
        } else if (block.label == "ENCRYPTED PRIVATE KEY") {
            throw fail("holds an encrypted key: give the key without a passphrase");
        } else if (block.label.find("PRIVATE KEY") != std::string::npos) {
            throw fail("holds a " + block.label + " (Schannel here takes RSA keys only)");
        } else {
            continue;
        }
        if (!decode<BLOBHEADER>(PKCS_RSA_PRIVATE_KEY, pkcs1, key.blob))
            throw fail("holds an RSA key that does not decode");
        return key;
    }
    throw fail("holds no PEM private key");
}

// Whether the PRIVATEKEYBLOB `key` is the private half of `cert`'s public key: the same
// exponent and modulus (both blobs are BLOBHEADER, RSAPUBKEY, then the modulus).
bool key_matches(const Bytes& key, PCCERT_CONTEXT cert) {
    const CRYPT_BIT_BLOB& bits = cert->pCertInfo->SubjectPublicKeyInfo.PublicKey;
    Bytes pub;
    if (!decode<BLOBHEADER>(RSA_CSP_PUBLICKEYBLOB, {bits.pbData, bits.cbData}, pub)) return false;
    constexpr std::size_t head = sizeof(BLOBHEADER) + sizeof(RSAPUBKEY);
    if (pub.size() < head || key.size() < head) return false;
    RSAPUBKEY pub_rsa, key_rsa;
    std::memcpy(&pub_rsa, pub.data() + sizeof(BLOBHEADER), sizeof pub_rsa);
    std::memcpy(&key_rsa, key.data() + sizeof(BLOBHEADER), sizeof key_rsa);
    const std::size_t modulus = pub_rsa.bitlen / 8;
    return pub_rsa.bitlen == key_rsa.bitlen && pub_rsa.pubexp == key_rsa.pubexp &&
           pub.size() >= head + modulus && key.size() >= head + modulus &&
           std::memcmp(pub.data() + head, key.data() + head, modulus) == 0;
}

CertStore new_memory_store() {
    HCERTSTORE store =
        CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, CERT_STORE_CREATE_NEW_FLAG, nullptr);
    if (!store)
        throw std::runtime_error("TLS: cannot open a certificate store (error " +
                                 std::to_string(GetLastError()) + ")");
    return CertStore(store, [](void* s) { CertCloseStore(s, 0); });
}

// Adds every CERTIFICATE block of `file` to `store`; the first one's context if `first`.
std::size_t add_certificates(const std::string& file, const char* what, HCERTSTORE store,
                             PCCERT_CONTEXT* first) {
    std::size_t added = 0;
    for (const PemBlock& block : pem_blocks(read_file(file, what))) {
        if (block.label != "CERTIFICATE") continue;
        if (!block.der ||
            !CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, block.der->data(),
                                              static_cast<DWORD>(block.der->size()),
                                              CERT_STORE_ADD_ALWAYS, added == 0 ? first : nullptr))
            throw std::runtime_error(std::string(what) + " file '" + file + "': certificate " +
                                     std::to_string(added + 1) + " does not decode");
        ++added;
    }
    if (added == 0)
        throw std::runtime_error(std::string(what) + " file '" + file +
                                 "' holds no PEM certificate");
    return added;
}

// The legacy RSA provider with AES: a CryptoAPI container Wine's Schannel can read.
constexpr const wchar_t* kProvider = MS_ENH_RSA_AES_PROV_W;
constexpr DWORD kProviderType = PROV_RSA_AES;

std::string code_text(long code) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx", static_cast<unsigned long>(code));
    return text;
}

// A persisted CNG key named `name`, imported from PKCS#8; empty, or why not.
std::string import_cng(const std::wstring& name, const Bytes& pkcs8) {
    NCRYPT_PROV_HANDLE provider = 0;
    SECURITY_STATUS status = NCryptOpenStorageProvider(&provider, MS_KEY_STORAGE_PROVIDER, 0);
    if (status != ERROR_SUCCESS) return "NCryptOpenStorageProvider: " + code_text(status);
    NCryptBuffer key_name{static_cast<ULONG>((name.size() + 1) * sizeof(wchar_t)),
                          NCRYPTBUFFER_PKCS_KEY_NAME, const_cast<wchar_t*>(name.c_str())};
    NCryptBufferDesc parameters{NCRYPTBUFFER_VERSION, 1, &key_name};
    NCRYPT_KEY_HANDLE key = 0;
    status = NCryptImportKey(provider, 0, NCRYPT_PKCS8_PRIVATE_KEY_BLOB, &parameters, &key,
                             const_cast<BYTE*>(pkcs8.data()), static_cast<DWORD>(pkcs8.size()),
                             NCRYPT_OVERWRITE_KEY_FLAG | NCRYPT_SILENT_FLAG);
    if (key) NCryptFreeObject(key);
    NCryptFreeObject(provider);
    return status == ERROR_SUCCESS ? std::string() : "NCryptImportKey: " + code_text(status);
}

void delete_cng(const std::wstring& name) {
    NCRYPT_PROV_HANDLE provider = 0;
    if (NCryptOpenStorageProvider(&provider, MS_KEY_STORAGE_PROVIDER, 0) != ERROR_SUCCESS) return;
    NCRYPT_KEY_HANDLE key = 0;
    if (NCryptOpenKey(provider, &key, name.c_str(), 0, NCRYPT_SILENT_FLAG) == ERROR_SUCCESS)
        NCryptDeleteKey(key, 0);  // frees the handle too
    NCryptFreeObject(provider);
}

void delete_container(const std::wstring& name) {
    HCRYPTPROV prov = 0;
    CryptAcquireContextW(&prov, name.c_str(), kProvider, kProviderType, CRYPT_DELETEKEYSET);
}

// A CryptoAPI container named `name` holding the PRIVATEKEYBLOB; empty, or why not.
std::string import_crypto_api(const std::wstring& name, const Bytes& blob) {
    HCRYPTPROV prov = 0;
    if (!CryptAcquireContextW(&prov, name.c_str(), kProvider, kProviderType, CRYPT_NEWKEYSET)) {
        if (GetLastError() != static_cast<DWORD>(NTE_EXISTS))
            return "CryptAcquireContext: " + code_text(static_cast<long>(GetLastError()));
        delete_container(name);  // left by a process of the same id that crashed
        if (!CryptAcquireContextW(&prov, name.c_str(), kProvider, kProviderType, CRYPT_NEWKEYSET))
            return "CryptAcquireContext: " + code_text(static_cast<long>(GetLastError()));
    }
    HCRYPTKEY key = 0;
    const BOOL ok = CryptImportKey(prov, blob.data(), static_cast<DWORD>(blob.size()), 0, 0, &key);
    const DWORD error = GetLastError();
    if (key) CryptDestroyKey(key);
    CryptReleaseContext(prov, 0);
    if (ok) return {};
    delete_container(name);
    return "CryptImportKey: " + code_text(static_cast<long>(error));
}

}  // namespace

std::unique_ptr<ServerCertificate> ServerCertificate::load(const std::string& cert_file,
                                                           const std::string& key_file) {
    std::unique_ptr<ServerCertificate> loaded(new ServerCertificate);
    loaded->store_ = new_memory_store();
    add_certificates(cert_file, "certificate", static_cast<HCERTSTORE>(loaded->store_.get()),
                     &loaded->cert_);
    const char* algorithm = loaded->cert_->pCertInfo->SubjectPublicKeyInfo.Algorithm.pszObjId;
    if (!algorithm || std::strcmp(algorithm, szOID_RSA_RSA) != 0)
        throw std::runtime_error("certificate file '" + cert_file +
                                 "' holds no RSA certificate (Schannel here takes RSA keys only)");
    PrivateKey key = load_private_key(key_file);
    if (!key_matches(key.blob, loaded->cert_))
        throw std::runtime_error("private key file '" + key_file +
                                 "' does not match certificate file '" + cert_file + "'");
    loaded->pkcs8_ = std::move(key.pkcs8);
    loaded->key_blob_ = std::move(key.blob);
    return loaded;
}

const char* ServerCertificate::name(KeyStore store) {
    return store == KeyStore::Cng ? "CNG key storage provider" : "CryptoAPI key container";
}

bool ServerCertificate::store_key(KeyStore store, std::string& why) {
    drop_key();
    static std::atomic<unsigned> serial{0};
    const std::wstring key_name = L"netchat-tls-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                                  std::to_wstring(serial.fetch_add(1));
    why = store == KeyStore::Cng ? import_cng(key_name, pkcs8_)
                                 : import_crypto_api(key_name, key_blob_);
    if (!why.empty()) return false;
    key_name_ = key_name;
    stored_in_ = store;

    CRYPT_KEY_PROV_INFO where{};
    where.pwszContainerName = key_name_.data();
    if (store == KeyStore::Cng) {
        where.pwszProvName = const_cast<wchar_t*>(MS_KEY_STORAGE_PROVIDER);  // type and spec 0
    } else {
        where.pwszProvName = const_cast<wchar_t*>(kProvider);
        where.dwProvType = kProviderType;
        where.dwKeySpec = AT_KEYEXCHANGE;  // what a PKCS_RSA_PRIVATE_KEY blob imports as
    }
    if (!CertSetCertificateContextProperty(cert_, CERT_KEY_PROV_INFO_PROP_ID, 0, &where)) {
        why = "CertSetCertificateContextProperty: " + code_text(static_cast<long>(GetLastError()));
        drop_key();
        return false;
    }
    return true;
}

void ServerCertificate::drop_key() {
    if (key_name_.empty()) return;
    CertSetCertificateContextProperty(cert_, CERT_KEY_PROV_INFO_PROP_ID, 0, nullptr);
    if (stored_in_ == KeyStore::Cng)
        delete_cng(key_name_);
    else
        delete_container(key_name_);
    key_name_.clear();
}

ServerCertificate::~ServerCertificate() {
    drop_key();
    if (cert_) CertFreeCertificateContext(cert_);
}

CertStore load_ca_store(const std::string& ca_file) {
    CertStore store = new_memory_store();
    add_certificates(ca_file, "CA", static_cast<HCERTSTORE>(store.get()), nullptr);
    return store;
}

}  // namespace netcore::schannel
