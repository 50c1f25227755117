#include "service_manager.hpp"

#ifdef NETCHAT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <string>
#endif

namespace service_manager {

#ifdef NETCHAT_HAVE_SYSTEMD
// sd_notify does nothing when NOTIFY_SOCKET is unset (not started by systemd).
void ready() {
    const std::string state = "READY=1\nMAINPID=" + std::to_string(::getpid());
    ::sd_notify(0, state.c_str());
}
void stopping() {
    ::sd_notify(0, "STOPPING=1");
}
#else
void ready() {}
void stopping() {}
#endif

}  // namespace service_manager
