#include "settings_checks.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#ifndef _WIN32
#include <sys/stat.h>
#endif

#include "admin_socket.hpp"
#include "chat/cluster_address.hpp"
#include "listen_spec.hpp"
#include "metrics_endpoint.hpp"
#include "netcore/engine.hpp"
#include "netcore/socket_ops.hpp"
#include "netcore/tls.hpp"
#include "option_checks.hpp"

namespace settings_checks {
namespace {

std::string source_note(const ServerCommandLine& cl, const std::string& name) {
    auto it = cl.sources.find(name);
    if (it == cl.sources.end() || it->second == "command line" || it->second == "default")
        return {};
    return " (" + it->second + ")";
}

// The first line of the file, without its line ending.
std::string read_password_file(ServerCommandLine& cl) {
    const std::string& path = cl.password_file;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return "--password-file " + path + ": cannot read it (" + std::strerror(errno) + ")" +
               source_note(cl, "password-file");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty())
        return "--password-file " + path + ": the first line is empty (no password)" +
               source_note(cl, "password-file");
    if (std::string why = option_checks::password(line); !why.empty())
        return "--password-file " + path + ": " + why;
#ifndef _WIN32
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
        cl.warnings.push_back("the password file " + path +
                              " is readable by every user (chmod 600 or 640)");
#endif
    cl.password = std::move(line);
    return {};
}

// --cluster and --node: a well-formed address, a build that can use it, a usable name.
std::string cluster_problem(const ServerCommandLine& cl) {
    if (cl.cluster.empty()) {
        if (!cl.node.empty())
            return "--node " + cl.node + " names this server in a cluster: give --cluster too" +
                   source_note(cl, "node");
        return {};
    }
    std::string error;
    if (!chat::parse_redis_url(cl.cluster, error))
        return "--cluster " + cl.cluster + ": " + error + source_note(cl, "cluster");
    if (!chat::cluster_supported())
        return "--cluster " + cl.cluster +
               ": clustering is not built in this build (it needs hiredis; the MinGW build has "
               "none, the MSVC build gets it from vcpkg)";
    if (!cl.node.empty())
        if (std::string why = chat::node_name_problem(cl.node); !why.empty())
            return "--node " + cl.node + ": " + why + source_note(cl, "node");
    return {};
}

// Whether `path` can be read, else why not ("--tls-cert F: cannot read it (No such file...)").
std::string unreadable(const ServerCommandLine& cl, const std::string& option,
                       const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (in) return {};
    return "--" + option + " " + path + ": cannot read it (" + std::strerror(errno) + ")" +
           source_note(cl, option);
}

// --tls-cert, --tls-key, --tls-port, --tls-only: a whole set, readable files that make a usable
// pair, and a TLS port that is not a plain one too. Loads the pair into cl.tls.
std::string tls_problem(ServerCommandLine& cl) {
    const bool cert = !cl.tls_cert.empty(), key = !cl.tls_key.empty();
    const std::string both = "--tls-cert FILE and --tls-key FILE (the certificate and its key)";
    if (cert != key)
        return cert ? "--tls-cert " + cl.tls_cert + " needs --tls-key too (its private key)" +
                          source_note(cl, "tls-cert")
                    : "--tls-key " + cl.tls_key + " needs --tls-cert too (the certificate)" +
                          source_note(cl, "tls-key");
    if (!cert) {
        if (cl.tls_port)
            return "--tls-port " + std::to_string(*cl.tls_port) + " needs " + both +
                   source_note(cl, "tls-port");
        if (cl.tls_only) return "--tls-only needs " + both + source_note(cl, "tls-only");
        return {};
    }
    if (cl.tls_port && *cl.tls_port != 0 && !cl.tls_only)
        for (const std::string& where : cl.listen) {
            std::string error;
            const auto spec = parse_listen_spec(where, error);
            if (spec && spec->port.value_or(cl.port) == *cl.tls_port)
                return "--tls-port " + std::to_string(*cl.tls_port) +
                       " is the plain port of --listen " + where +
                       " too: give the TLS listeners a port of their own" +
                       source_note(cl, "tls-port");
        }
    if (std::string why = unreadable(cl, "tls-cert", cl.tls_cert); !why.empty()) return why;
    if (std::string why = unreadable(cl, "tls-key", cl.tls_key); !why.empty()) return why;
    try {
        cl.tls = netcore::TlsContext::server({cl.tls_cert, cl.tls_key});
    } catch (const std::exception& e) {
        // The library's message names the file at fault; if it ever does not, both are named.
        const std::string why = e.what();
        const bool names_a_file =
            why.find(cl.tls_cert) != std::string::npos || why.find(cl.tls_key) != std::string::npos;
        return (names_a_file ? "--tls-cert/--tls-key: "
                             : "--tls-cert " + cl.tls_cert + ", --tls-key " + cl.tls_key + ": ") +
               why + source_note(cl, "tls-cert");
    }
#ifndef _WIN32
    struct stat st {};
    if (::stat(cl.tls_key.c_str(), &st) == 0 && (st.st_mode & S_IROTH))
        cl.warnings.push_back("the TLS key " + cl.tls_key +
                              " is readable by every user (chmod 600 or 640)");
#endif
    return {};
}

}  // namespace

std::string complete(ServerCommandLine& cl) {
    const bool password_given = cl.sources["password"] != "default";
    if (!cl.password_file.empty()) {
        if (password_given)
            return "give --password or --password-file, not both (--password" +
                   source_note(cl, "password") + ", --password-file" +
                   source_note(cl, "password-file") + ")";
        if (std::string why = read_password_file(cl); !why.empty()) return why;
    } else if (cl.sources["password"] == "command line" && !cl.password.empty()) {
        cl.warnings.push_back(
            "--password on the command line is visible to every user in ps; use "
            "--password-file or NETCHAT_PASSWORD");
    }

    if (!cl.log_file.empty()) {
        std::ofstream probe(cl.log_file, std::ios::app);  // creates it as the logger would
        if (!probe)
            return "--log-file " + cl.log_file + ": cannot open it for writing (" +
                   std::strerror(errno) + ")" + source_note(cl, "log-file");
    }

    // Under systemd (RuntimeDirectory=), the admin socket is there unless set otherwise.
    if (cl.sources["admin-socket"] == "default" && AdminSocket::available())
        if (const char* runtime = std::getenv("RUNTIME_DIRECTORY"); runtime && *runtime) {
            cl.admin_socket = default_admin_socket_path();
            cl.sources["admin-socket"] = "default (RUNTIME_DIRECTORY)";
        }
    if (!cl.admin_socket.empty())
        if (std::string why = AdminSocket::problem_with_path(cl.admin_socket); !why.empty())
            return "--admin-socket " + cl.admin_socket + ": " + why +
                   source_note(cl, "admin-socket");
    if (std::string why = cluster_problem(cl); !why.empty()) return why;

    if (!cl.metrics.empty()) {
        if (!MetricsEndpoint::available())
            return "--metrics " + cl.metrics +
                   ": not in this build (it was built without prometheus-cpp, as the Windows "
                   "build is)" +
                   source_note(cl, "metrics");
        std::string why;
        const auto where = parse_listen_spec(cl.metrics, why);
        if (where && !where->port) why = "give the port too (ADDR:PORT, [IPV6]:PORT)";
        if (where && why.empty()) why = netcore::check_listen_address(where->host);
        if (!why.empty())
            return "--metrics " + cl.metrics + ": " + why + source_note(cl, "metrics");
    }

    if (cl.listen.empty()) return "--listen: give at least one address" + source_note(cl, "listen");
    if (cl.listen.size() > netcore::kMaxListeners)
        return "--listen: at most " + std::to_string(netcore::kMaxListeners) + " addresses (" +
               std::to_string(cl.listen.size()) + " given)" + source_note(cl, "listen");
    if (cl.tls_port && !cl.tls_only && 2 * cl.listen.size() > netcore::kMaxListeners)
        return "--tls-port doubles the listeners: at most " +
               std::to_string(netcore::kMaxListeners / 2) + " --listen addresses with it (" +
               std::to_string(cl.listen.size()) + " given)" + source_note(cl, "listen");
    for (const std::string& where : cl.listen) {
        std::string error;
        const auto spec = parse_listen_spec(where, error);
        if (!spec) return "--listen " + where + ": " + error + source_note(cl, "listen");
        if (std::string why = netcore::check_listen_address(spec->host); !why.empty())
            return "--listen " + where + ": " + why + source_note(cl, "listen");
    }
    return tls_problem(cl);  // last: it reads the files only when everything else is right
}

}  // namespace settings_checks
