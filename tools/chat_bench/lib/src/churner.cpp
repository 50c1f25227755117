#include "chat_bench/churner.hpp"

namespace chat_bench {

Churner::Churner(RoomRun& run, std::size_t first_index, std::size_t churners)
    : run_(run), next_index_(first_index), churners_(churners) {
    thread_ = std::thread([this] { loop(); });
}

void Churner::stop() {
    running_ = false;
    run_.plan().changed.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::string Churner::first_failure() const {
    std::lock_guard lock(mutex_);
    return first_failure_;
}

void Churner::loop() {
    RoomPlan& plan = run_.plan();
    while (running_) {
        {
            std::unique_lock lock(plan.mutex);
            plan.changed.wait(lock, [&] { return !running_ || plan.churners_open < churners_; });
            if (!running_) return;
            ++plan.churners_open;
        }
        std::string error;
        if (!run_.fleet().connect(next_index_++, error)) {
            {
                std::lock_guard lock(plan.mutex);
                --plan.churners_open;
            }
            failures_.fetch_add(1);
            {
                std::lock_guard lock(mutex_);
                if (first_failure_.empty()) first_failure_ = error;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

}  // namespace chat_bench
