// Telling a service manager how the server is doing: systemd's sd_notify (the unit's
// Type=notify waits for ready()). Without libsystemd (Windows) these do nothing.
#pragma once

namespace service_manager {

void ready();     // listening: READY=1, with the pid
void stopping();  // shutdown began: STOPPING=1

}  // namespace service_manager
