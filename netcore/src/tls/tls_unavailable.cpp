// The Windows build until its Schannel implementation (tls_schannel.cpp) lands: it links, and
// asking for TLS says clearly that this build has none.
#include <stdexcept>

#include "netcore/tls.hpp"

namespace netcore {

std::shared_ptr<TlsContext> TlsContext::server(const TlsServerConfig&) {
    throw std::runtime_error("TLS is not in this Windows build yet");
}

std::shared_ptr<TlsContext> TlsContext::client(const TlsClientConfig&) {
    throw std::runtime_error("TLS is not in this Windows build yet");
}

std::string tls_library() {
    return "none";
}

}  // namespace netcore
