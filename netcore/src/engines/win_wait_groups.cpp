#include "win_wait_groups.hpp"

namespace netcore::win {

WaitGroupBase::WaitGroupBase() : wake_(::WSACreateEvent()) {
    events.push_back(wake_);
}

WaitGroupBase::~WaitGroupBase() {
    ::WSACloseEvent(wake_);
}

void WaitGroupBase::run(std::function<void()> loop) {
    thread_ = std::thread([this, loop = std::move(loop)] {
        t_current = this;
        loop();
    });
}

void WaitGroupBase::hand_over(ConnectionPtr conn, bool needs_open) {
    {
        std::lock_guard lock(mutex_);
        inbox_.incoming.emplace_back(std::move(conn), needs_open);
    }
    ::WSASetEvent(wake_);
}

void WaitGroupBase::post_wake(std::uint64_t id) {
    {
        std::lock_guard lock(mutex_);
        inbox_.woken.push_back(id);
    }
    ::WSASetEvent(wake_);
}

void WaitGroupBase::request_quit() {
    {
        std::lock_guard lock(mutex_);
        inbox_.quit = true;
    }
    ::WSASetEvent(wake_);
}

GroupInbox WaitGroupBase::take_inbox() {
    ::WSAResetEvent(wake_);
    GroupInbox taken;
    std::lock_guard lock(mutex_);
    taken.incoming.swap(inbox_.incoming);
    taken.woken.swap(inbox_.woken);
    taken.quit = inbox_.quit;
    return taken;
}

void WaitGroupBase::join_into(std::vector<ConnectionPtr>& out) {
    thread_.join();
    for (auto& conn : handed_back_) out.push_back(std::move(conn));
    handed_back_.clear();
}

void WaitGroupList::place_in(ConnectionPtr conn, bool needs_open, const Starter& start) {
    WaitGroupBase* target = nullptr;
    {
        std::lock_guard lock(mutex_);
        for (auto& g : groups_)
            if (g->load() < WaitGroupBase::kCapacity) {
                target = g.get();
                break;
            }
        if (!target) {
            groups_.push_back(start());
            target = groups_.back().get();
        }
        ++target->load_;
    }
    target->hand_over(std::move(conn), needs_open);
}

std::vector<ConnectionPtr> WaitGroupList::stop() {
    std::vector<std::unique_ptr<WaitGroupBase>> groups;
    {
        std::lock_guard lock(mutex_);
        groups.swap(groups_);
    }
    for (auto& g : groups) g->request_quit();  // all first: they wind down side by side
    std::vector<ConnectionPtr> out;
    for (auto& g : groups) g->join_into(out);
    return out;
}

void WaitGroupList::describe(EngineStats& s) const {
    std::size_t groups = 0, total = 0;
    std::string per_group;
    {
        std::lock_guard lock(mutex_);
        groups = groups_.size();
        for (const auto& g : groups_) {
            const std::size_t n = g->load();
            total += n;
            if (!per_group.empty()) per_group += ' ';
            per_group += std::to_string(n);
        }
    }
    // push_back, not = "-": GCC 12 warns falsely (-Wrestrict) on assigning a literal here.
    if (per_group.empty()) per_group.push_back('-');
    s.threads += groups;
    s.details.emplace_back("wait groups", std::to_string(groups));
    s.details.emplace_back("sockets per wait group (max 63)", per_group);
    s.details.emplace_back("sockets", std::to_string(total));
}

}  // namespace netcore::win
