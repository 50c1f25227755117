// io_uring: a proactor. The loop thread owns one ring, posts accepts, receives and sends, and
// the kernel reports each finished operation as a completion (CQE). Receives draw from one
// shared ring of provided buffers (IOSQE_BUFFER_SELECT), so the kernel picks a buffer only when
// data is there and an idle connection owns none; multishot accept and recv where the kernel
// has them, single-shot otherwise. Other threads wake the loop through an eventfd that a
// pending READ on the ring watches. What a completion means for its connection is the
// completion family's (completion_engine.hpp).
#include <liburing.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "completion_engine.hpp"
#include "netcore/socket_ops.hpp"
#include "netcore/stream_io.hpp"
#include "wake_inbox.hpp"

namespace netcore {
namespace {

// What an operation is. With the connection id it makes the CQE's user_data: a completion
// that arrives after its connection is gone still decodes, and never names freed memory.
enum class Op : std::uint8_t { Accept = 1, AcceptRetry, Wake, Recv, Send, Cancel };

constexpr std::uint64_t kIdMask = (std::uint64_t{1} << 56) - 1;
constexpr std::uint64_t tag(Op op, std::uint64_t id = 0) {
    return (static_cast<std::uint64_t>(op) << 56) | (id & kIdMask);
}
constexpr Op op_of(std::uint64_t user_data) {
    return static_cast<Op>(user_data >> 56);
}
constexpr std::uint64_t id_of(std::uint64_t user_data) {
    return user_data & kIdMask;
}
constexpr std::uint64_t kHandled = 0;  // no tag is 0: marks a CQE already dealt with

constexpr unsigned kSqEntries = 1024;
constexpr unsigned kCqEntries = 8192;  // multishot ops post many CQEs per SQE
// Shared by every connection; one CQE fills at most one buffer. NETCORE_IO_URING_BUFFERS (a
// power of two) makes the ring smaller, so tests can make receives run out of buffers.
constexpr unsigned kBufferCount = 1024;
constexpr unsigned kBufferSize = 8 * 1024;
constexpr std::uint16_t kBufferGroup = 0;
// Input handed to the handler between two flushes of output: a peer that floods us while
// reading our answers must not see its answers pile up past max_send_queue in one batch.
constexpr std::size_t kBatchBudget = 256 * 1024;
constexpr int kAcceptFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;  // the next engine may be readiness

bool is_retry(int res) {
    return res == -ECANCELED || res == -EINTR || res == -EAGAIN;
}

// A listener and its accept operation's state (the loop thread's).
struct Acceptor {
    socket_t listener = kInvalidSocket;
    bool armed = false, retry_armed = false;
    bool has_address = false;  // single-shot: the kernel fills addr
    sockaddr_storage addr{};
    socklen_t len = 0;
    __kernel_timespec retry_after{};
};

struct Completion {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;
};

struct Slot : CompletionConn {};

class IoUringEngine final : public CompletionEngine {
  public:
    IoUringEngine() : CompletionEngine("io_uring") {}

    // A kernel or sandbox may forbid io_uring: refuse before the old engine lets go.
    std::string cannot_adopt(const std::vector<ConnectionPtr>& conns) const override {
        (void)conns;
        io_uring probe;
        const int rc = ::io_uring_queue_init(4, &probe, 0);
        if (rc < 0) return "io_uring is not available: " + socket_error_text(-rc);
        ::io_uring_queue_exit(&probe);
        return {};
    }

    void start(EngineHost& host, const Listeners& listeners,
               std::vector<ConnectionPtr> adopted) override {
        host_ = &host;
        acceptors_.assign(listeners.size(), Acceptor{});  // never resized while ops are out
        for (std::size_t i = 0; i < listeners.size(); ++i) acceptors_[i].listener = listeners[i];
        wakefd_ = ::eventfd(0, EFD_CLOEXEC);  // blocking: the ring waits on it, not a thread
        if (wakefd_ < 0) throw std::runtime_error("io_uring: cannot create eventfd");
        start_posting();
        draining_ = false;
        buffer_count_ = kBufferCount;  // before the loop thread starts: stats() reads it
        if (const char* count = std::getenv("NETCORE_IO_URING_BUFFERS")) {
            const unsigned long n = std::strtoul(count, nullptr, 10);
            if (n >= 1 && n <= kBufferCount && (n & (n - 1)) == 0)
                buffer_count_ = static_cast<unsigned>(n);
        }
        adopting_ = std::move(adopted);
        // The loop thread makes the ring and is the only one to submit: completion work runs
        // in the submitter's context, and the ring is set up for a single issuer.
        ready_ = {};
        auto setup = ready_.get_future();
        try {
            thread_ = std::thread([this] { loop(); });
        } catch (...) {
            ::close(wakefd_);  // out of threads: what was opened is given back
            wakefd_ = -1;
            adopting_.clear();
            throw;
        }
        if (std::string error = setup.get(); !error.empty()) {
            thread_.join();
            ::close(wakefd_);
            wakefd_ = -1;
            throw std::runtime_error("io_uring: " + error);
        }
    }

    std::vector<ConnectionPtr> stop() override {
        std::vector<ConnectionPtr> out;
        if (!thread_.joinable()) return out;
        stop_posting();
        signal_wakefd();
        thread_.join();
        // Nothing is in flight any more: the kernel holds no pointer into these connections.
        for (auto& [id, slot] : slots_) {
            EngineSlot::detach(*slot->conn);
            out.push_back(std::move(slot->conn));
        }
        slots_.clear();
        inbox_.hand_on_adopted(*host_, out);
        ::close(wakefd_);  // after detach(): no wake() can be running now
        wakefd_ = -1;
        return out;
    }

    void adopt(ConnectionPtr conn) override {
        // Only the loop thread may post its first recv.
        if (inbox_.post_adopt(std::move(conn))) signal_wakefd();
    }

    EngineStats stats() const override {
        EngineStats s = base_stats(1);
        s.syscalls = submits_.load(std::memory_order_relaxed);  // io_uring_enter calls
        const std::uint64_t sqes = sqes_.load(std::memory_order_relaxed);
        s.details.insert(
            s.details.end(),
            {
                {"path", path()},
                {"completion work",
                 setup_flags_ & IORING_SETUP_DEFER_TASKRUN  ? "deferred to the loop"
                 : setup_flags_ & IORING_SETUP_COOP_TASKRUN ? "cooperative"
                                                            : "interrupts the loop"},
                {"sqes per submit", ratio(sqes, s.syscalls)},
                {"cqes per wakeup", ratio(s.events, s.wakeups)},
                {"connections", std::to_string(connections_.load(std::memory_order_relaxed))},
                {"buffers in ring", std::to_string(buffers_free_.load(std::memory_order_relaxed)) +
                                        " of " + std::to_string(buffer_count_) + " x " +
                                        std::to_string(kBufferSize / 1024) + " KiB"},
                {"recv re-armed after ENOBUFS",
                 std::to_string(enobufs_.load(std::memory_order_relaxed))},
            });
        return s;
    }

  private:
    void wake(Connection& conn) override {
        if (inbox_.wake(conn, conn.id(), t_loop == this, dirty_)) signal_wakefd();
    }

    bool owns_io(const Connection&) const override { return t_loop == this; }

    // ---- the model's half of the completion flow ----

    int submit_receive(CompletionConn& c) override {
        io_uring_sqe* sqe = next_sqe();
        const int fd = c.conn->socket();
        if (multishot_recv_)
            ::io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
        else
            ::io_uring_prep_recv(sqe, fd, nullptr, kBufferSize, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;  // a buffer from the ring, once data is there
        sqe->buf_group = kBufferGroup;
        ::io_uring_sqe_set_data64(sqe, tag(Op::Recv, c.conn->id()));
        return 0;  // errors come back as the operation's completion
    }

    int submit_send(CompletionConn& c, std::span<const std::byte> bytes) override {
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_send(sqe, c.conn->socket(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        ::io_uring_sqe_set_data64(sqe, tag(Op::Send, c.conn->id()));
        return 0;
    }

    void cancel(CompletionConn& c, Cancel which) override {
        if (c.receiving) cancel_op(tag(Op::Recv, c.conn->id()));
        if (c.sending && which == Cancel::Both) cancel_op(tag(Op::Send, c.conn->id()));
    }

    void forget(CompletionConn& c) override {
        graveyard_.push_back(c.conn);  // the dirty list may still name it in this batch
        slots_.erase(c.conn->id());
    }

    // ---- setup and teardown (on the loop thread) ----

    // Empty on success, else why the ring cannot serve.
    std::string setup_ring() {
        // Newest first: DEFER_TASKRUN (6.1) runs completion work only when the loop asks for
        // events, COOP_TASKRUN (5.19) at least spares the interrupts.
        const unsigned attempts[] = {
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
            IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
            0,
        };
        int rc = -EINVAL;
        for (unsigned flags : attempts) {
            io_uring_params params{};
            params.flags = flags | IORING_SETUP_CQSIZE;
            params.cq_entries = kCqEntries;
            rc = ::io_uring_queue_init_params(kSqEntries, &ring_, &params);
            if (rc != -EINVAL) {
                setup_flags_ = flags;
                break;
            }
        }
        if (rc < 0) return "cannot create a ring: " + socket_error_text(-rc);
        ring_ready_ = true;

        bool multishot_accept = true, multishot_recv = true;
        if (io_uring_probe* probe = ::io_uring_get_probe_ring(&ring_)) {
            std::string missing;
            for (int op : {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_READ,
                           IORING_OP_ASYNC_CANCEL, IORING_OP_TIMEOUT})
                if (!::io_uring_opcode_supported(probe, op)) missing += " " + std::to_string(op);
            // The probe lists opcodes, not flags: multishot accept came with OP_SOCKET (5.19)
            // and multishot recv with OP_SEND_ZC (6.0). -EINVAL at run time also falls back.
            multishot_accept = ::io_uring_opcode_supported(probe, IORING_OP_SOCKET);
            multishot_recv = ::io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
            ::io_uring_free_probe(probe);
            if (!missing.empty()) {
                teardown();
                return "the kernel lacks opcodes" + missing;
            }
        }
        if (const char* force = std::getenv("NETCORE_IO_URING_SINGLE_SHOT"); force && *force == '1')
            multishot_accept = multishot_recv = false;  // lets tests cover the fallback path
        if (const int error = setup_buffer_ring(); error != 0) {
            teardown();
            return "cannot register a provided-buffer ring (Linux 5.19): " +
                   socket_error_text(error);
        }
        multishot_accept_ = multishot_accept;
        multishot_recv_ = multishot_recv;
        return {};
    }

    int setup_buffer_ring() {
        const std::size_t bytes = buffer_count_ * sizeof(io_uring_buf);
        void* mem =
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) return errno;
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
        reg.ring_entries = buffer_count_;
        reg.bgid = kBufferGroup;
        if (const int rc = ::io_uring_register_buf_ring(&ring_, &reg, 0); rc < 0) {
            ::munmap(mem, bytes);
            return -rc;
        }
        buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
        // Untouched pages cost no memory: only buffers the kernel has filled are resident.
        buffers_ = std::make_unique_for_overwrite<std::byte[]>(buffer_count_ * kBufferSize);
        ::io_uring_buf_ring_init(buf_ring_);
        for (unsigned i = 0; i < buffer_count_; ++i)
            ::io_uring_buf_ring_add(buf_ring_, buffer_at(i), kBufferSize,
                                    static_cast<unsigned short>(i), buffer_mask(),
                                    static_cast<int>(i));
        ::io_uring_buf_ring_advance(buf_ring_, buffer_count_);
        buffers_free_ = buffer_count_;
        return 0;
    }

    void teardown() {
        if (leak_buffers_) {  // a stop gave up on receives that may still fill them
            (void)buffers_.release();
            buf_ring_ = nullptr;
            leak_buffers_ = false;
        }
        if (buf_ring_) {
            ::io_uring_unregister_buf_ring(&ring_, kBufferGroup);
            ::munmap(buf_ring_, buffer_count_ * sizeof(io_uring_buf));
            buf_ring_ = nullptr;
        }
        buffers_.reset();
        if (ring_ready_) ::io_uring_queue_exit(&ring_);
        ring_ready_ = false;
    }

    // ---- the loop ----

    void loop() {
        if (std::string error = setup_ring(); !error.empty()) return ready_.set_value(error);
        spdlog::debug("io_uring: {}", path());
        ready_.set_value({});
        t_loop = this;
        arm_wake();
        for (std::size_t i = 0; i < acceptors_.size(); ++i) arm_accept(i);  // none on a client
        for (auto& conn : adopting_) add(conn, false);
        adopting_.clear();
        for (;;) {
            serve_dirty(dirty_, [this](std::uint64_t id) {
                if (Slot* s = find(id); s && EngineSlot::flush_scheduled(*s->conn)) woken(*s);
            });
            if (stopping() && !draining_) begin_drain();
            if (draining_ && ops_in_flight() == 0 && backlog_.empty()) break;
            if (draining_ && backlog_.empty() && stop_clock_.given_up()) {
                give_up();
                break;
            }
            publish_gauges();
            // Left-over completions from a budget-limited batch: submit, but do not wait.
            if (backlog_.empty()) {
                submit(true, draining_);
                count_wakeup();
            } else {
                submit(false);
            }
            harvest();
            handle_backlog();
            end_of_batch();
        }
        t_loop = nullptr;
        teardown();
    }

    // While draining, a wait lasts 20 ms at most: the stop clock must get to look.
    void submit(bool wait, bool briefly = false) {
        int n;
        if (wait && briefly) {
            __kernel_timespec limit{0, 20'000'000};
            io_uring_cqe* cqe = nullptr;
            n = ::io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &limit, nullptr);
        } else {
            n = wait ? ::io_uring_submit_and_wait(&ring_, 1) : ::io_uring_submit(&ring_);
        }
        if (wait || n > 0) submits_.fetch_add(1, std::memory_order_relaxed);
        if (n > 0) sqes_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }

    // Copies every ready CQE out and frees the completion queue at once.
    void harvest() {
        unsigned head;
        io_uring_cqe* cqe;
        unsigned count = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            backlog_.push_back({cqe->user_data, cqe->res, cqe->flags});
            if (cqe->flags & IORING_CQE_F_BUFFER) ++buffers_out_;
            ++count;
        }
        ::io_uring_cq_advance(&ring_, count);
        count_events(count);
    }

    void handle_backlog() {
        // Sends first: a connection's answers go out before more of its input adds to them.
        for (std::size_t i = 0; i < backlog_.size(); ++i) {
            if (backlog_[i].user_data == kHandled || op_of(backlog_[i].user_data) != Op::Send)
                continue;
            const Completion c = backlog_[i];
            backlog_[i].user_data = kHandled;
            handle(c);
        }
        std::size_t delivered = 0, i = 0;
        while (i < backlog_.size() && delivered < kBatchBudget) {
            const Completion c = backlog_[i++];  // by value: handle() may harvest more
            if (c.user_data == kHandled) continue;
            if (op_of(c.user_data) == Op::Recv && c.res > 0)
                delivered += static_cast<std::size_t>(c.res);
            handle(c);
        }
        backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(i));
    }

    void handle(const Completion& c) {
        const bool final = !(c.flags & IORING_CQE_F_MORE);
        const std::uint64_t id = id_of(c.user_data);
        switch (op_of(c.user_data)) {
            case Op::Accept:
                return on_accept(id, c.res, final);
            case Op::AcceptRetry:
                op_done();
                acceptors_[id].retry_armed = false;
                if (!draining_ && !acceptors_[id].armed) arm_accept(id);
                return;
            case Op::Wake:
                return on_wake();
            case Op::Recv:
                return on_recv(id, c.res, c.flags, final);
            case Op::Send:
                return on_send(id, c.res);
            case Op::Cancel:
                return op_done();  // the cancelled operation reports for itself
        }
    }

    void end_of_batch() {
        if (recycled_ > 0) {  // hand the buffers back to the kernel in one store
            ::io_uring_buf_ring_advance(buf_ring_, static_cast<int>(recycled_));
            buffers_out_ -= recycled_;
            recycled_ = 0;
        }
        // Receives that ran out of buffers start again once the backlog gave its buffers back.
        if (backlog_.empty() && !rearm_.empty()) {
            std::vector<std::uint64_t> ids;
            ids.swap(rearm_);
            for (auto id : ids)
                if (Slot* s = find(id)) {
                    s->deferred = false;
                    settle(*s);
                }
        }
        graveyard_.clear();
    }

    void publish_gauges() {
        buffers_free_.store(buffer_count_ - buffers_out_, std::memory_order_relaxed);
        connections_.store(slots_.size(), std::memory_order_relaxed);
    }

    // ---- submissions (loop thread only) ----

    io_uring_sqe* next_sqe() {
        io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
        while (!sqe) {  // the submission queue is full: hand it to the kernel first
            submit(false);
            sqe = ::io_uring_get_sqe(&ring_);
            if (!sqe) harvest();  // a full completion queue can refuse submissions
        }
        return sqe;
    }

    // One accept operation per listener: multishot (one SQE, a CQE per connection) or one
    // at a time. The listener's index is the tag's id.
    void arm_accept(std::size_t i) {
        Acceptor& a = acceptors_[i];
        io_uring_sqe* sqe = next_sqe();
        if (multishot_accept_) {
            // No address: one buffer shared by every accept of a multishot op would race.
            ::io_uring_prep_multishot_accept(sqe, a.listener, nullptr, nullptr, kAcceptFlags);
        } else {
            a.len = sizeof a.addr;
            ::io_uring_prep_accept(sqe, a.listener, reinterpret_cast<sockaddr*>(&a.addr), &a.len,
                                   kAcceptFlags);
        }
        ::io_uring_sqe_set_data64(sqe, tag(Op::Accept, i));
        op_posted();
        a.armed = true;
        a.has_address = !multishot_accept_;
    }

    // After an accept error that re-arming at once would only repeat.
    void arm_accept_later(std::size_t i) {
        Acceptor& a = acceptors_[i];
        a.retry_after.tv_sec = 0;
        a.retry_after.tv_nsec = 100'000'000;
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_timeout(sqe, &a.retry_after, 0, 0);
        ::io_uring_sqe_set_data64(sqe, tag(Op::AcceptRetry, i));
        op_posted();
        a.retry_armed = true;
    }

    void arm_wake() {
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_read(sqe, wakefd_, &wake_value_, sizeof wake_value_, 0);
        ::io_uring_sqe_set_data64(sqe, tag(Op::Wake));
        op_posted();
        wake_armed_ = true;
    }

    void cancel_op(std::uint64_t user_data) {
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_cancel64(sqe, user_data, 0);
        ::io_uring_sqe_set_data64(sqe, tag(Op::Cancel, id_of(user_data)));
        op_posted();
    }

    void signal_wakefd() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wakefd_, &one, sizeof one);
    }

    // ---- connections ----

    Slot* find(std::uint64_t id) {
        auto it = slots_.find(id);
        return it == slots_.end() ? nullptr : it->second.get();
    }

    void add(const ConnectionPtr& conn, bool needs_open) {
        auto owned = std::make_unique<Slot>();
        Slot& s = *owned;
        s.conn = conn;
        slots_.emplace(conn->id(), std::move(owned));
        open(s, needs_open);  // no receive while draining: the next engine reads it
    }

    // ---- completions ----

    void on_accept(std::size_t i, int res, bool final) {
        Acceptor& a = acceptors_[i];
        if (final) {
            op_done();
            a.armed = false;
        }
        if (res >= 0) {
            accepted(a, res);
        } else if (res == -EINVAL && multishot_accept_) {
            spdlog::info("io_uring: multishot accept refused, falling back to single-shot");
            multishot_accept_ = false;
        } else if (is_out_of_descriptors(-res)) {
            // Drop the pending connection rather than fail on it forever; if none was shed,
            // wait a little instead of spinning.
            if (!shed_pending_connection(a.listener, *host_) && !draining_) arm_accept_later(i);
        } else if (res != -ECANCELED && !is_transient_accept_error(-res) && !draining_) {
            spdlog::warn("io_uring: accept failed: {}", socket_error_text(-res));
            arm_accept_later(i);
        }
        if (final && !draining_ && !a.retry_armed) arm_accept(i);
    }

    void accepted(const Acceptor& a, socket_t s) {
        set_nodelay(s);
        std::string peer;
        if (a.has_address) {
            peer = format_address(reinterpret_cast<const sockaddr*>(&a.addr));
        } else {
            sockaddr_storage ss{};
            socklen_t len = sizeof ss;
            if (::getpeername(s, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
                peer = format_address(reinterpret_cast<const sockaddr*>(&ss));
            else
                peer = "?";
        }
        // Accepted while draining too: it was already taken off the backlog, so it is handed
        // over with the others.
        if (ConnectionPtr conn = host_->make_connection(s, std::move(peer))) add(conn, true);
    }

    void on_wake() {
        op_done();
        wake_armed_ = false;
        std::vector<ConnectionPtr> incoming = inbox_.take(dirty_);
        if (!draining_) arm_wake();
        // While draining too: the next engine gets them open.
        for (auto& conn : incoming) add(conn, true);
    }

    void on_recv(std::uint64_t id, int res, std::uint32_t flags, bool final) {
        Slot* s = find(id);
        int bid = -1;
        if (flags & IORING_CQE_F_BUFFER) bid = static_cast<int>(flags >> IORING_CQE_BUFFER_SHIFT);
        if (!s) {  // cannot happen while a receive is in flight; keeps the count right anyway
            if (bid >= 0) recycle(static_cast<unsigned>(bid));
            if (final) op_done();
            return;
        }
        if (final) end_receive(*s);
        if (res > 0 && bid >= 0)
            received(*s, std::span(buffer_at(static_cast<unsigned>(bid)),
                                   static_cast<std::size_t>(res)));
        if (bid >= 0) recycle(static_cast<unsigned>(bid));
        if (res == 0) {
            peer_finished(*s);
        } else if (res == -ENOBUFS) {
            // The ring ran dry: post again at the end of the batch, once buffers are back.
            enobufs_.fetch_add(1, std::memory_order_relaxed);
            if (final) {
                s->deferred = true;
                rearm_.push_back(id);
            }
        } else if (res == -EINVAL && multishot_recv_) {
            spdlog::info("io_uring: multishot recv refused, falling back to single-shot");
            multishot_recv_ = false;
        } else if (res < 0 && !is_retry(res)) {
            begin_close(*s, CloseReason::Reset);
        }
        // A multishot recv also ends on its own (a full CQ...): settle posts it again.
        settle(*s);
    }

    void on_send(std::uint64_t id, int res) {
        Slot* s = find(id);
        if (!s) return op_done();
        // A cancelled send reports -ECANCELED or what it sent before.
        sent(*s, res > 0 ? static_cast<std::size_t>(res) : 0, res < 0 && !is_retry(res));
    }

    // ---- stop ----

    // Takes no new work and cancels everything posted; the loop then runs until the last
    // completion is in, delivering what receives still bring.
    void begin_drain() {
        draining_ = true;
        stop_clock_ = {};
        stop_clock_.given_up();  // starts it
        rearm_.clear();
        for (std::size_t i = 0; i < acceptors_.size(); ++i) {
            if (acceptors_[i].armed) cancel_op(tag(Op::Accept, i));
            if (acceptors_[i].retry_armed) cancel_op(tag(Op::AcceptRetry, i));
        }
        if (wake_armed_) cancel_op(tag(Op::Wake));
        for (auto& [id, s] : slots_) drain(*s, true);  // a cancelled send reports what went out
    }

    // The clock gave up: connections with operations still out are closed and leaked (with
    // the provided buffers, below), the rest handed back. The ring's exit then cancels what
    // is left.
    void give_up() {
        for (auto it = slots_.begin(); it != slots_.end();) {
            if (!it->second->in_flight()) {
                ++it;
                continue;
            }
            abandon(*it->second);
            (void)it->second.release();  // deliberately leaked: see abandon()
            it = slots_.erase(it);
        }
        leak_buffers_ = true;
        report_abandoned();
    }

    // ---- provided buffers ----

    std::byte* buffer_at(unsigned bid) { return buffers_.get() + std::size_t{bid} * kBufferSize; }
    int buffer_mask() const { return ::io_uring_buf_ring_mask(buffer_count_); }

    void recycle(unsigned bid) {
        ::io_uring_buf_ring_add(buf_ring_, buffer_at(bid), kBufferSize,
                                static_cast<unsigned short>(bid), buffer_mask(),
                                static_cast<int>(recycled_));
        ++recycled_;
    }

    // ---- stats ----

    std::string path() const {
        const bool accept = multishot_accept_.load(std::memory_order_relaxed);
        const bool recv = multishot_recv_.load(std::memory_order_relaxed);
        const char* accepts = acceptors_.empty() ? "no listener"
                              : accept           ? "multishot accept"
                                                 : "single-shot accept";
        return std::string(accepts) + (recv ? ", multishot recv" : ", single-shot recv") +
               " on a provided buffer ring";
    }

    static std::string ratio(std::uint64_t a, std::uint64_t b) {
        char text[32];
        std::snprintf(text, sizeof text, "%.2f", b ? static_cast<double>(a) / b : 0.0);
        return text;
    }

    static thread_local IoUringEngine* t_loop;

    std::vector<Acceptor> acceptors_;  // one per listener, none on a client
    io_uring ring_{};
    bool ring_ready_ = false;
    unsigned setup_flags_ = 0;
    std::vector<ConnectionPtr> adopting_;  // handed to the loop thread by start()
    std::promise<std::string> ready_;      // the loop thread's setup: empty, or what failed
    int wakefd_ = -1;
    std::thread thread_;

    // Loop thread only (and start/stop around it).
    bool draining_ = false;
    StopClock stop_clock_;
    bool leak_buffers_ = false;
    bool wake_armed_ = false;
    std::uint64_t wake_value_ = 0;
    io_uring_buf_ring* buf_ring_ = nullptr;
    unsigned buffer_count_ = kBufferCount;
    std::unique_ptr<std::byte[]> buffers_;
    unsigned buffers_out_ = 0;  // taken by the kernel, not yet handed back
    unsigned recycled_ = 0;     // handed back, not yet published to the kernel
    std::unordered_map<std::uint64_t, std::unique_ptr<Slot>> slots_;
    std::vector<Completion> backlog_;
    std::vector<ConnectionPtr> graveyard_;
    std::vector<std::uint64_t> dirty_;  // woken on the loop thread
    std::vector<std::uint64_t> rearm_;  // receives that ended with ENOBUFS

    WakeInbox inbox_;  // woken from other threads, adopted and not yet registered

    std::atomic<bool> multishot_accept_{true}, multishot_recv_{true};
    std::atomic<std::uint64_t> submits_{0}, sqes_{0};
    std::atomic<std::uint64_t> connections_{0}, buffers_free_{0}, enobufs_{0};
};

thread_local IoUringEngine* IoUringEngine::t_loop = nullptr;

}  // namespace

std::unique_ptr<Engine> make_io_uring_engine() {
    return std::make_unique<IoUringEngine>();
}

}  // namespace netcore
