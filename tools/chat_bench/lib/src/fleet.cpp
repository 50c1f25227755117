#include "chat_bench/fleet.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "netcore/engine_registry.hpp"

namespace chat_bench {
namespace {

// Far below the ~28k ephemeral ports: the kernel searches the range linearly for a free port,
// and connect() slows from ~10k/s to ~500/s once half of it is taken.
constexpr std::size_t kPortsPerSource = 5000;

bool is_loopback_v4(const std::string& host) {
    return host.rfind("127.", 0) == 0 || host == "localhost";
}

}  // namespace

Fleet::Fleet(const CommonOptions& options, std::vector<netcore::ConnectionHandler*> handlers,
             std::size_t planned_connections)
    : options_(options) {
    for (auto* handler : handlers) clients_.push_back(std::make_unique<netcore::Client>(*handler));
    std::size_t wanted = options.sources;
    if (wanted == 0) wanted = 1 + planned_connections / kPortsPerSource;
    bool loopback = is_loopback_v4(options.host);
    for (const Endpoint& e : options.servers) loopback = loopback && is_loopback_v4(e.host);
    if (wanted > 1 && !loopback)
        throw std::runtime_error(
            "several source addresses (--sources) work only against a "
            "loopback server (127.x.x.x)");
    if (wanted > 254) throw std::runtime_error("--sources: at most 254 (127.0.0.1..254)");
    if (wanted == 1) sources_.push_back("");
    // Throws std::runtime_error naming the file (an unreadable --ca) or why TLS is missing.
    if (options.tls) tls_ = netcore::TlsContext::client({options.tls_ca, !options.tls_insecure});
    for (std::size_t i = 0; wanted > 1 && i < wanted; ++i)
        sources_.push_back("127.0.0." + std::to_string(i + 1));
}

Fleet::~Fleet() {
    stop();
}

void Fleet::start() {
    for (auto& client : clients_)
        client->start(options_.engine.empty() ? netcore::default_engine_name() : options_.engine);
}

netcore::ConnectionPtr Fleet::connect(std::size_t index, std::string& error) {
    auto& client = *clients_[index % clients_.size()];
    const Endpoint to = endpoint_of(options_, index);
    return client.connect(to.host, to.port, error, options_.connect_timeout,
                          sources_[index % sources_.size()], tls_);
}

void Fleet::stop() {
    for (auto& client : clients_) client->stop();
}

std::size_t Fleet::open_connections() const {
    std::size_t n = 0;
    for (const auto& client : clients_) n += client->connection_count();
    return n;
}

std::string Fleet::engine_name() const {
    return clients_.empty() ? std::string() : clients_.front()->engine_name();
}

Endpoint endpoint_of(const CommonOptions& options, std::size_t index) {
    if (options.servers.empty()) return {options.host, options.port};
    return options.servers[index % options.servers.size()];
}

std::string target_text(const CommonOptions& options) {
    if (options.servers.empty()) return options.host + ":" + std::to_string(options.port);
    std::string out;
    for (const Endpoint& e : options.servers)
        out += (out.empty() ? "" : ",") + e.host + ":" + std::to_string(e.port);
    return out;
}

std::string check_server(const CommonOptions& options) {
    const std::size_t count = std::max<std::size_t>(1, options.servers.size());
    for (std::size_t i = 0; i < count; ++i) {
        const Endpoint to = endpoint_of(options, i);
        std::string error;
        const auto s = netcore::connect_tcp(to.host, to.port, options.connect_timeout, "", error);
        if (s != netcore::kInvalidSocket) {
            netcore::close_socket(s);
            continue;
        }
        return to.host + ":" + std::to_string(to.port) + ": " + error +
               " — is the server running? Start one with e.g. `build/bin/chat_server --port " +
               std::to_string(to.port) + " --rate-limit 0`, or pass --host/--port.";
    }
    return {};
}

std::string why_closed(const netcore::Connection& conn, netcore::CloseReason reason) {
    const std::string tls = conn.tls_error();
    return std::string(netcore::to_string(reason)) + (tls.empty() ? "" : ": " + tls);
}

std::string make_nick(const CommonOptions& options, std::size_t index) {
    std::string prefix = options.nick_prefix;
    if (prefix.empty()) prefix = "b" + std::to_string(::getpid() % 100000) + "_";
    return prefix + std::to_string(index);
}

}  // namespace chat_bench
