#include "readiness_loop.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <utility>

#include "engine_slot.hpp"
#include "netcore/socket_ops.hpp"

#ifndef _WIN32
#include <fcntl.h>

#include <cerrno>
#endif

namespace netcore {

namespace {

constexpr std::size_t kAcceptBatch = 256;  // accept() calls per turn: a flood cannot hold the loop
constexpr auto kErrorBackoff = std::chrono::milliseconds(10);  // after a wait that failed

bool is_interrupted(int error) {
#ifdef _WIN32
    return error == WSAEINTR;
#else
    return error == EINTR;
#endif
}

// Whether `s` is still an open descriptor (closed behind the loop's back, it is not).
bool is_socket(socket_t s) {
#ifdef _WIN32
    int type = 0;
    int len = sizeof type;
    return ::getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
#else
    return ::fcntl(s, F_GETFD) != -1;
#endif
}

bool is_bad_descriptor(int error) {
#ifdef _WIN32
    return error == WSAENOTSOCK;
#else
    return error == EBADF;
#endif
}

}  // namespace

ReadinessLoop::ReadinessLoop(std::unique_ptr<Poller> poller) : poller_(std::move(poller)) {}

ReadinessLoop::~ReadinessLoop() {
    stop();
}

std::string ReadinessLoop::cannot_adopt(const std::vector<ConnectionPtr>& conns) const {
    std::size_t count = 0;
    for (const auto& conn : conns) {
        // Closed while the switch looked (the old engine still runs): it is not handed over.
        if (conn->socket() == kInvalidSocket) continue;
        if (const auto why = poller_->refuses(conn->socket(), count); !why.empty())
            return std::string(why) + " (connection " + std::to_string(conn->id()) +
                   " uses socket " + std::to_string(conn->socket()) + ")";
        ++count;
    }
    return {};
}

void ReadinessLoop::start(EngineHost& host, const Listeners& listeners,
                          std::vector<ConnectionPtr> adopted) {
    host_ = &host;
    listeners_ = listeners;
    stopping_ = false;
    load_ = adopted.size();
    ready_ = {};
    auto setup = ready_.get_future();
    thread_ =
        std::thread([this, adopted = std::move(adopted)]() mutable { run(std::move(adopted)); });
    if (std::string error = setup.get(); !error.empty()) {
        thread_.join();
        load_ = 0;
        throw std::runtime_error(std::string(traits().engine) + ": " + error);
    }
}

void ReadinessLoop::adopt(ConnectionPtr conn) {
    load_.fetch_add(1, std::memory_order_relaxed);
    if (inbox_.post_adopt(std::move(conn))) poller_->signal();
}

std::vector<ConnectionPtr> ReadinessLoop::stop() {
    std::vector<ConnectionPtr> out;
    if (!thread_.joinable()) return out;
    stopping_.store(true, std::memory_order_release);
    poller_->signal();
    thread_.join();
    // The loop is gone: this thread owns its tables now.
    for (auto& e : entries_) {
        if (!e.conn) continue;
        EngineSlot::detach(*e.conn);
        out.push_back(std::move(e.conn));
    }
    entries_.clear();
    free_keys_.clear();
    freed_keys_.clear();
    dirty_.clear();
    carry_.clear();
    registered_count_ = 0;
    registered_.store(0, std::memory_order_relaxed);
    // No connection can wake the poller any more: it lets go of its model.
    poller_->close();
    inbox_.hand_on_adopted(*host_, out);
    load_ = 0;
    return out;
}

void ReadinessLoop::stats(EngineStats& s) const {
    s.threads += 1;
    s.wakeups += wakeups_.load(std::memory_order_relaxed);
    s.events += events_.load(std::memory_order_relaxed);
    s.syscalls += syscalls_.load(std::memory_order_relaxed);
}

std::uint64_t ReadinessLoop::registered() const {
    return registered_.load(std::memory_order_relaxed);
}

std::uint64_t ReadinessLoop::turned_away() const {
    return turned_away_.load(std::memory_order_relaxed);
}

// ---- WriteWaker: the connection's lock is held ----

void ReadinessLoop::wake(Connection& conn) {
    if (inbox_.wake(conn, EngineSlot::index(conn), on_loop_thread(), dirty_)) poller_->signal();
}

bool ReadinessLoop::owns_io(const Connection&) const {
    return on_loop_thread();
}

// ---- the loop thread ----

void ReadinessLoop::run(std::vector<ConnectionPtr> adopted) {
    t_loop = this;
    if (std::string error = open_poller(); !error.empty()) {
        t_loop = nullptr;
        ready_.set_value(error);
        return;
    }
    for (auto& conn : adopted) add(conn, false);
    ready_.set_value({});
    std::vector<Fired> fired;
    while (!stopping_.load(std::memory_order_acquire)) turn(fired);
    release_all();
    t_loop = nullptr;
}

std::string ReadinessLoop::open_poller() {
    try {
        poller_->open();
    } catch (const std::exception& e) {
        poller_->close();  // what it did open is given back now: the next engine may need it
        return e.what();
    }
    for (std::uint32_t i = 0; i < listeners_.size(); ++i) {
        const int error = poller_->watch(listeners_[i], kFirstListenerKey + i, {true, false});
        if (error != 0) {
            poller_->close();
            return "cannot watch the listening socket: " + socket_error_text(error);
        }
    }
    return {};
}

void ReadinessLoop::turn(std::vector<Fired>& fired) {
    fired.clear();
    calls_ = 0;
    // Work already queued does not wait for an event: a carried read, a full accept batch,
    // or output woken before the first turn (adopted connections with queued output).
    const bool busy = !carry_.empty() || accept_again_ || !dirty_.empty();
    const WaitResult r = poller_->wait(fired, busy ? 0 : -1);
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    calls_ += r.calls;
    if (r.error != 0) on_wait_error(r.error);
    bool accept_now = std::exchange(accept_again_, false);
    for (const Fired& f : fired) {
        if (is_listener_key(f.key)) {
            accept_now = true;
        } else if (f.key == kWakeKey) {
            take_inbox();
        } else {
            // A short read empties the socket, and the model reports later input; after the
            // peer's FIN or an error nothing more will be reported: then read to the end.
            serve(f.key, f.readable || f.final, f.writable,
                  f.final ? ReadUntil::WouldBlock : ReadUntil::ShortRead);
        }
    }
    events_.fetch_add(fired.size(), std::memory_order_relaxed);
    if (accept_now) accept();
    serve_carried();
    serve_dirty();
    syscalls_.fetch_add(calls_, std::memory_order_relaxed);
    // The batch is over: no event of it can name a key freed in it any more.
    free_keys_.insert(free_keys_.end(), freed_keys_.begin(), freed_keys_.end());
    freed_keys_.clear();
}

void ReadinessLoop::on_wait_error(int error) {
    if (is_interrupted(error)) return;  // a signal: wait again
    const auto now = std::chrono::steady_clock::now();
    if (now - last_error_log_ >= std::chrono::seconds(1)) {
        last_error_log_ = now;
        spdlog::error("{}: {} failed: {}", traits().engine, traits().wait_call,
                      socket_error_text(error));
    }
    // A descriptor in the set is no longer a socket (closed behind the loop's back): the call
    // fails until its connection is closed. Anything else (no memory, a refused argument):
    // wait a little and try again rather than spin; stop() is still seen every turn.
    if (is_bad_descriptor(error) && drop_invalid_sockets()) return;
    std::this_thread::sleep_for(kErrorBackoff);
}

bool ReadinessLoop::drop_invalid_sockets() {
    bool dropped = false;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const ConnectionPtr& conn = entries_[i].conn;
        if (!conn || is_socket(conn->socket())) continue;
        spdlog::error("{}: connection {} ({}): socket {} is no longer valid; closing it",
                      traits().engine, conn->id(), conn->peer(), conn->socket());
        close(static_cast<std::uint32_t>(i) + kFirstConnectionKey, CloseReason::Reset);
        dropped = true;
    }
    return dropped;
}

void ReadinessLoop::take_inbox() {
    for (auto& conn : inbox_.take(dirty_)) add(conn, true);
}

void ReadinessLoop::accept() {
    // Turned away before any Connection exists (select past FD_SETSIZE): the host refuses it.
    auto gate = [this](socket_t s) {
        const std::string_view why = poller_->refuses(s, registered_count_ + accepted_.size());
        if (!why.empty()) turned_away_.fetch_add(1, std::memory_order_relaxed);
        return why;
    };
    // accept_pending opens each connection after handing it over: it is watched once the
    // handler has heard of it, so a connection that cannot be watched closes after on_open.
    // Every listener is asked (one accept() that would block costs little next to knowing
    // which one fired on every model).
    for (socket_t listener : listeners_) {
        const auto a =
            accept_pending(listener, *host_, kAcceptBatch, gate, [this](const ConnectionPtr& conn) {
                load_.fetch_add(1, std::memory_order_relaxed);
                accepted_.push_back(conn);
            });
        calls_ += a.calls;
        accept_again_ = accept_again_ || a.more;  // edge-triggered, it would not say so again
        for (auto& conn : accepted_) add(conn, false);
        accepted_.clear();
    }
}

bool ReadinessLoop::add(const ConnectionPtr& conn, bool open) {
    NETCORE_CHECK(on_loop_thread(), "readiness loop: add() off the loop thread");
    const socket_t s = conn->socket();
    std::string why(poller_->refuses(s, registered_count_));
    CloseReason reason = CloseReason::Requested;
    if (why.empty()) {
        std::uint32_t key;
        if (free_keys_.empty()) {
            key = static_cast<std::uint32_t>(entries_.size()) + kFirstConnectionKey;
            entries_.emplace_back();
        } else {
            key = free_keys_.back();
            free_keys_.pop_back();
        }
        Entry& e = entries_[key - kFirstConnectionKey];
        // Edge-triggered: both directions, once. Level-triggered: input until the peer's FIN,
        // output only once a flush would block.
        e.interest = traits().edge_triggered ? Interest{true, true}
                                             : Interest{!conn->peer_has_finished(), false};
        count_interest_call();
        const int error = poller_->watch(s, key, e.interest);
        if (error == 0) {
            e.conn = conn;
            ++registered_count_;
            registered_.store(registered_count_, std::memory_order_relaxed);
            EngineSlot::attach_index(*conn, this, key);
            if (open) host_->connection_opened(conn);
            return true;
        }
        e = Entry{};
        free_keys_.push_back(key);
        why = std::string("cannot watch it: ") + socket_error_text(error);
        reason = CloseReason::Reset;
        spdlog::error("{}: connection {} ({}, socket {}): {}; closing it", traits().engine,
                      conn->id(), conn->peer(), s, why);
    } else {
        turned_away_.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("{}: connection {} ({}, socket {}) turned away: {}", traits().engine,
                     conn->id(), conn->peer(), s, why);
    }
    // The handler hears of it, then of its close: never on_close without on_open.
    if (open) host_->connection_opened(conn);
    load_.fetch_sub(1, std::memory_order_relaxed);
    ++calls_;  // close()
    finalize_connection(*conn, *host_, reason);
    return false;
}

ReadinessLoop::Entry* ReadinessLoop::find(std::uint64_t key) {
    if (key < kFirstConnectionKey || key - kFirstConnectionKey >= entries_.size()) return nullptr;
    Entry& e = entries_[key - kFirstConnectionKey];
    return e.conn ? &e : nullptr;
}

void ReadinessLoop::serve(std::uint32_t key, bool readable, bool writable, ReadUntil until) {
    NETCORE_CHECK(on_loop_thread(), "readiness loop: serve() off the loop thread");
    Entry* e = find(key);
    if (!e) return;  // closed earlier in this batch
    Connection& conn = *e->conn;
    const bool edge = traits().edge_triggered;
    if (readable) {
        const auto r = read_available(conn, host_->handler(), read_scratch(), kReadBudget, until);
        calls_ += r.calls;
        if (r.failed) return close(key, CloseReason::Reset);
        e->paused = r.paused;
        // Past the read budget: a level-triggered model reports the rest again, an edge is
        // spent, so the loop reads again next turn without waiting.
        if (r.more && edge) carry_.push_back(key);
    }
    if (EngineSlot::take_flush(conn) || writable) {
        const auto w = flush_output(conn);
        calls_ += w.calls;
        if (w.failed) return close(key, CloseReason::Reset);
        e->blocked = w.blocked;
        // Edge-triggered: the input edge was spent while reading was paused; resume by hand.
        if (edge && e->paused && !conn.output_backlogged()) {
            e->paused = false;
            carry_.push_back(key);
        }
    }
    if (conn.must_finalize()) return close(key, CloseReason::PeerClosed);
    if (!edge) update_interest(key, *e);
}

void ReadinessLoop::update_interest(std::uint32_t key, Entry& e) {
    const Connection& conn = *e.conn;
    // After the peer's FIN a socket stays readable for good, and while the peer's own answers
    // are backlogged none of its requests are taken: a level-triggered model asked for input
    // then would report it on every call.
    const Interest want{!conn.peer_has_finished() && !conn.output_backlogged(), e.blocked};
    if (want == e.interest) return;
    count_interest_call();
    if (const int error = poller_->modify(conn.socket(), key, want); error != 0) {
        spdlog::error(
            "{}: connection {} ({}, socket {}): cannot change its interest: {}; "
            "closing it",
            traits().engine, conn.id(), conn.peer(), conn.socket(), socket_error_text(error));
        return close(key, CloseReason::Reset);
    }
    e.interest = want;
}

void ReadinessLoop::close(std::uint32_t key, CloseReason observed) {
    NETCORE_CHECK(on_loop_thread(), "readiness loop: close() off the loop thread");
    Entry& e = entries_[key - kFirstConnectionKey];
    const ConnectionPtr conn = std::move(e.conn);  // alive until the host has been told
    e = Entry{};
    poller_->forget(conn->socket(), key);
    count_interest_call();
    freed_keys_.push_back(key);
    --registered_count_;
    registered_.store(registered_count_, std::memory_order_relaxed);
    load_.fetch_sub(1, std::memory_order_relaxed);
    ++calls_;  // close()
    finalize_connection(*conn, *host_, observed);
}

void ReadinessLoop::serve_carried() {
    if (carry_.empty()) return;
    std::vector<std::uint32_t> carried;
    carried.swap(carry_);
    for (auto key : carried) serve(key, true, false, ReadUntil::WouldBlock);
}

void ReadinessLoop::serve_dirty() {
    // Flushing may wake more (a close that answers others): until nothing is left.
    while (!dirty_.empty()) {
        serving_.swap(dirty_);
        for (auto key : serving_)
            if (Entry* e = find(key); e && EngineSlot::flush_scheduled(*e->conn))
                serve(static_cast<std::uint32_t>(key), false, false, ReadUntil::ShortRead);
        serving_.clear();
    }
}

// Stopping: the sockets stay open (stop() hands their connections back), the model lets go.
void ReadinessLoop::release_all() {
    for (std::size_t i = 0; i < entries_.size(); ++i)
        if (entries_[i].conn)
            poller_->forget(entries_[i].conn->socket(),
                            static_cast<std::uint32_t>(i) + kFirstConnectionKey);
    for (std::uint32_t i = 0; i < listeners_.size(); ++i)
        poller_->forget(listeners_[i], kFirstListenerKey + i);
}

// ---- an engine that is one loop ----

namespace {

class ReadinessEngine final : public Engine {
  public:
    explicit ReadinessEngine(std::unique_ptr<Poller> poller) : loop_(std::move(poller)) {}

    std::string_view name() const override { return loop_.traits().engine; }
    std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const override {
        return loop_.cannot_adopt(conns);
    }
    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        loop_.start(host, listeners, std::move(adopted));
    }
    void adopt(ConnectionPtr conn) override { loop_.adopt(std::move(conn)); }
    std::vector<ConnectionPtr> stop() override { return loop_.stop(); }

    EngineStats stats() const override {
        EngineStats s;
        s.engine = loop_.traits().engine;
        loop_.stats(s);
        const PollerTraits& t = loop_.traits();
        s.details = {{"registered sockets", std::to_string(loop_.registered())},
                     {"trigger", std::string(t.trigger)}};
        if (!t.ceiling.empty())
            s.details.emplace_back("turned away (" + std::string(t.ceiling) + ")",
                                   std::to_string(loop_.turned_away()));
        loop_.describe(s);
        return s;
    }

  private:
    ReadinessLoop loop_;
};

}  // namespace

std::unique_ptr<Engine> make_readiness_engine(std::unique_ptr<Poller> poller) {
    return std::make_unique<ReadinessEngine>(std::move(poller));
}

}  // namespace netcore
