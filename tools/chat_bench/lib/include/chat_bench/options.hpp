// Options every scenario shares: where the server is, how the load is generated, how long.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chat_bench {

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
};

struct CommonOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7777;
    // The nodes of a cluster (docs/cluster.md): connection i goes to servers[i % size], so a
    // room's members are spread over them. Empty: every connection to host:port.
    std::vector<Endpoint> servers;
    std::string engine;     // the load generator's own netcore engine; empty: the default
    unsigned threads = 1;   // netcore clients (engine loops) the connections are spread over
    unsigned sources = 0;   // loopback source addresses 127.0.0.1..N; 0: as many as needed
    double duration_s = 5;  // measured time
    double warmup_s = 1;    // run before measuring, not counted
    int server_pid = 0;     // when set: the server's memory and CPU time from /proc
    bool progress = true;   // a progress line on stderr once per second
    bool fit = false;       // lower connection counts to what the fd limit allows
    // Seconds with nothing served that fail a run (stall_rules.hpp). A whole second is no
    // hiccup: a healthy server pauses for milliseconds, a live engine switch included.
    double stall_limit_s = 1.0;
    std::chrono::milliseconds connect_timeout{5000};
    std::string nick_prefix;  // empty: derived from this process id
    // Every connection over TLS, the server's certificate checked against tls_ca (PEM; empty:
    // the system's store), or not at all when tls_insecure.
    bool tls = false;
    std::string tls_ca;
    bool tls_insecure = false;
};

}  // namespace chat_bench
