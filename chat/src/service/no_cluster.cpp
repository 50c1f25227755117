// A build without hiredis (the MinGW cross build): no clustering, and --cluster says so.
#include <stdexcept>

#include "cluster_seam.hpp"

namespace chat::detail {

std::unique_ptr<Cluster> make_cluster(ServiceCore&, const ServiceConfig& config) {
    throw std::runtime_error("--cluster " + config.cluster +
                             ": clustering is not built in this build (it needs hiredis)");
}

}  // namespace chat::detail
