// CPU time used by this process, as a percentage of one core between two samples.
#pragma once

#include <chrono>

namespace server_gui {

class CpuMeter {
  public:
    CpuMeter();
    // Percent of one core used since the previous call (or construction); may exceed 100
    // when several threads run at once.
    double sample();

  private:
    double last_cpu_s_ = 0;
    std::chrono::steady_clock::time_point last_wall_;
};

// Seconds of CPU (user + system) this process has used; negative when unknown.
double process_cpu_seconds();

}  // namespace server_gui
