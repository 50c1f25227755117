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
    if (needs_open) {
        if (inbox_.post_adopt(std::move(conn))) ::WSASetEvent(wake_);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        opened_.push_back(std::move(conn));
    }
    ::WSASetEvent(wake_);
}

void WaitGroupBase::wake(Connection& conn) {
    if (inbox_.wake(conn, conn.id(), t_current == this, dirty_)) ::WSASetEvent(wake_);
}

void WaitGroupBase::request_quit() {
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
    }
    ::WSASetEvent(wake_);
}

GroupInbox WaitGroupBase::take_inbox() {
    ::WSAResetEvent(wake_);
    GroupInbox taken;
    taken.woken.swap(dirty_);
    {
        std::lock_guard lock(mutex_);
        for (auto& conn : opened_) taken.incoming.emplace_back(std::move(conn), false);
        opened_.clear();
        taken.quit = quit_;
    }
    for (auto& conn : inbox_.take(taken.woken)) taken.incoming.emplace_back(std::move(conn), true);
    return taken;
}

void WaitGroupBase::join_into(EngineHost& host, std::vector<ConnectionPtr>& out) {
    thread_.join();
    for (auto& conn : handed_back_) out.push_back(std::move(conn));
    handed_back_.clear();
    // Handed over after the thread's last look: those from start() are open already.
    for (auto& conn : opened_) out.push_back(std::move(conn));
    opened_.clear();
    inbox_.hand_on_adopted(host, out);
}

void WaitGroupList::place(ConnectionPtr conn, bool needs_open) {
    WaitGroupBase* target = nullptr;
    {
        std::lock_guard lock(mutex_);
        for (auto& g : groups_)
            if (g->load() < WaitGroupBase::kCapacity) {
                target = g.get();
                break;
            }
        if (!target) {
            groups_.push_back(start_());
            target = groups_.back().get();
        }
        ++target->load_;
    }
    target->hand_over(std::move(conn), needs_open);
}

std::vector<ConnectionPtr> WaitGroupList::stop(EngineHost& host) {
    std::vector<std::unique_ptr<WaitGroupBase>> groups;
    {
        std::lock_guard lock(mutex_);
        groups.swap(groups_);
    }
    for (auto& g : groups) g->request_quit();  // all first: they wind down side by side
    std::vector<ConnectionPtr> out;
    for (auto& g : groups) g->join_into(host, out);
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
