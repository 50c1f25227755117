// Wait groups, shared by event_select and overlapped_event: WSAWaitForMultipleEvents takes
// at most 64 handles, so connections are spread over groups of up to 63, each with its own
// waiting thread and a wake-up event at index 0. What goes into a group's wait and what its
// thread does with a signalled event stays in the engine.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine_slot.hpp"
#include "netcore/connection.hpp"
#include "netcore/engine.hpp"
#include "netcore/platform.hpp"
#include "wake_inbox.hpp"

namespace netcore::win {

// What a group's thread takes at the top of each round.
struct GroupInbox {
    std::vector<std::pair<ConnectionPtr, bool>> incoming;  // bool: host must be told it opened
    std::vector<std::uint64_t> woken;                      // connections with output to send
    bool quit = false;
};

class WaitGroupBase {
  public:
    static constexpr std::size_t kCapacity = WSA_MAXIMUM_WAIT_EVENTS - 1;  // + the wake-up

    WaitGroupBase();
    virtual ~WaitGroupBase();
    WaitGroupBase(const WaitGroupBase&) = delete;
    WaitGroupBase& operator=(const WaitGroupBase&) = delete;

    void run(std::function<void()> loop);  // starts the group's thread

    // ---- any thread ----
    // `needs_open`: an accepted or adopted connection, opened by the group's thread; else one
    // an earlier engine opened (start()).
    void hand_over(ConnectionPtr conn, bool needs_open);
    // WriteWaker::wake (the connection's lock is held): on the group's own thread the
    // connection joins the round's dirty list without a system call; else it is posted.
    void wake(Connection& conn);
    void request_quit();
    std::size_t load() const { return load_.load(); }

    // ---- the group's thread ----
    // The group whose thread is calling (nullptr on any other thread).
    static const WaitGroupBase* current() { return t_current; }
    // Resets the wake-up event first, so a hand-over made while the inbox is read signals again.
    GroupInbox take_inbox();
    // Output woken on this thread since take_inbox(): the wait must not sleep.
    bool has_dirty() const { return !dirty_.empty(); }
    std::vector<WSAEVENT> events;  // what the thread waits on: [0] is the wake-up event

  protected:
    std::atomic<std::size_t> load_{0};  // connections placed here, including those not yet taken
    std::vector<ConnectionPtr> handed_back_;  // filled by release_all, read after the join

  private:
    friend class WaitGroupList;
    void join_into(EngineHost& host, std::vector<ConnectionPtr>& out);

    static inline thread_local const WaitGroupBase* t_current = nullptr;

    WSAEVENT wake_;
    std::thread thread_;
    WakeInbox inbox_;                    // wake-ups and connections to open
    std::vector<std::uint64_t> dirty_;   // woken on the group's thread
    std::mutex mutex_;                   // guards the two below
    std::vector<ConnectionPtr> opened_;  // from start(): already opened
    bool quit_ = false;
};

// A group with its members: Member has `ConnectionPtr conn`, `WSAEVENT event` (closed by its
// destructor), `bool dead` and `group`, a pointer to its group. Members sit at the same
// index as their event (from 1 on).
template <class Member>
class WaitGroup : public WaitGroupBase {
  public:
    WaitGroup() { members_.emplace_back(); }

    // Engine::wake: queues the connection once for its group's thread.
    static void wake(Connection& conn) {
        if (auto* m = EngineSlot::state<Member>(conn)) m->group->WaitGroupBase::wake(conn);
    }
    // WriteWaker::owns_io: the connection's group thread does all its I/O.
    static bool owns_io(const Connection& conn) {
        const auto* m = EngineSlot::state<Member>(conn);
        return m && static_cast<const WaitGroupBase*>(m->group) == current();
    }

    Member& add(std::unique_ptr<Member> owned) {
        Member& m = *owned;
        events.push_back(m.event);
        by_id_.emplace(m.conn->id(), &m);
        members_.push_back(std::move(owned));
        return m;
    }
    Member* find(std::uint64_t id) {
        auto it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : it->second;
    }
    std::size_t size() const { return members_.size(); }  // members + 1, as events
    Member& at(std::size_t i) { return *members_[i]; }    // i from 1

    // The member's connection is finalized: it stays in the arrays (the scan may be using
    // its index) until compact().
    void drop(Member& m) {
        m.dead = true;
        by_id_.erase(m.conn->id());
        --load_;
    }
    // A stop gave up on the member's operations: dropped, and never freed (the system may
    // still write into it).
    void abandon(Member& m) {
        drop(m);
        for (auto& owned : members_)
            if (owned.get() == &m) (void)owned.release();
    }
    void compact() {
        std::size_t out = 1;
        for (std::size_t i = 1; i < members_.size(); ++i) {
            if (!members_[i] || members_[i]->dead) continue;
            members_[out] = std::move(members_[i]);
            events[out] = events[i];
            ++out;
        }
        members_.resize(out);
        events.resize(out);
    }

    // At stop: `let_go(member)` undoes the engine's hold on the socket, then the connection
    // is detached and handed back.
    template <class LetGo>
    void release_all(LetGo&& let_go) {
        for (std::size_t i = 1; i < members_.size(); ++i) {
            Member& m = *members_[i];
            let_go(m);
            EngineSlot::detach(*m.conn);
            handed_back_.push_back(std::move(m.conn));
        }
        members_.resize(1);
        events.resize(1);
        by_id_.clear();
    }

  private:
    std::vector<std::unique_ptr<Member>> members_;  // [0] is empty
    std::unordered_map<std::uint64_t, Member*> by_id_;
};

// The groups of one engine.
class WaitGroupList {
  public:
    // Groups of type Group (a WaitGroup of the engine's members); each group's thread runs
    // `loop(group)`.
    template <class Group, class Loop>
    WaitGroupList(std::type_identity<Group>, Loop loop)
        : start_([loop] {
              auto g = std::make_unique<Group>();
              g->run([loop, raw = g.get()] { loop(*raw); });
              return std::unique_ptr<WaitGroupBase>(std::move(g));
          }) {}

    // Gives a connection to the first group with room, starting a new group when all are
    // full; `needs_open`: the group's thread tells the host it opened.
    void place(ConnectionPtr conn, bool needs_open);
    // Tells every group to quit, joins their threads and returns what they handed back
    // (with what was handed over too late for a group to take: opened on this thread).
    std::vector<ConnectionPtr> stop(EngineHost& host);
    // Adds a thread per group to `s.threads`, and the groups and their loads to its details.
    void describe(EngineStats& s) const;

  private:
    const std::function<std::unique_ptr<WaitGroupBase>()> start_;
    mutable std::mutex mutex_;  // guards groups_ (the list, not the groups' contents)
    std::vector<std::unique_ptr<WaitGroupBase>> groups_;
};

// For Engine::start of an engine with wait groups: unless started() was called, stops the
// engine when it goes out of scope (a start that throws), so the groups already running let go
// of their connections, as Engine::start promises of a failed start.
class StopUnlessStarted {
  public:
    explicit StopUnlessStarted(Engine& engine) : engine_(engine) {}
    ~StopUnlessStarted() {
        if (!started_) engine_.stop();
    }
    StopUnlessStarted(const StopUnlessStarted&) = delete;
    StopUnlessStarted& operator=(const StopUnlessStarted&) = delete;
    void started() { started_ = true; }

  private:
    Engine& engine_;
    bool started_ = false;
};

}  // namespace netcore::win
