#include "chat_bench/resume_storm.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include "chat/codec.hpp"
#include "chat/frame_decoder.hpp"
#include "chat_bench/proc_stats.hpp"
#include "chat_bench/setup.hpp"

namespace chat_bench {
namespace {

using Clock = std::chrono::steady_clock;

// One client connection, driven by the poll loop below: non-blocking socket, output queue,
// frame decoder, and what it has seen of the room.
struct Peer {
    bool talker = false;
    std::string nick_base;
    int generation = 0;  // a new nick per connection: the last one's may not be free yet
    int fd = -1;
    chat::FrameDecoder decoder;
    chat::Bytes out;
    bool ready = false;  // in the room
    std::uint64_t epoch = 0;
    std::uint64_t last_seq = 0;  // the last seq seen (0: none yet)
    std::uint64_t said = 0;
    // The storm, for members.
    bool in_storm = false;
    std::uint64_t catch_up_to = 0;  // RESUMED's live_seq - 1: everything missed
    Clock::time_point reconnected{}, caught_up{};
    bool has_caught_up = false;
    std::uint64_t replayed = 0;

    std::string nick() const { return nick_base + "-" + std::to_string(generation); }
};

struct Tally {
    std::uint64_t gaps = 0, repeats = 0, errors = 0, closed = 0, epoch_changes = 0;
    std::uint64_t resume_gaps = 0, lost_in_resume = 0;
    std::string first_problem;
    void problem(const std::string& what) {
        if (first_problem.empty()) first_problem = what;
    }
};

class StormRun {
  public:
    StormRun(const CommonOptions& common, const ResumeOptions& options)
        : common_(common), options_(options) {}

    void add(bool talker, std::string nick_base) {
        auto p = std::make_unique<Peer>();
        p->talker = talker;
        p->nick_base = std::move(nick_base);
        peers_.push_back(std::move(p));
    }
    std::vector<std::unique_ptr<Peer>>& peers() { return peers_; }
    Tally& tally() { return tally_; }

    void connect(Peer& p) {
        p.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p.fd < 0) throw SetupError(std::string("socket: ") + std::strerror(errno));
        const int one = 1;
        ::setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(common_.port);
        if (::inet_pton(AF_INET, common_.host.c_str(), &addr.sin_addr) != 1)
            throw SetupError("--host must be an IPv4 address: " + common_.host);
        if (::connect(p.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
            errno != EINPROGRESS)
            throw SetupError("connect to " + common_.host + ": " + std::strerror(errno));
        p.decoder.reset();
        p.out.clear();
        p.ready = false;
        chat::encode(p.out, chat::Hello{chat::kProtocolVersion, p.nick(), ""});
    }

    // Drops the connection with a reset, as a network that goes away would leave it.
    void drop(Peer& p) {
        const linger hard{1, 0};
        ::setsockopt(p.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(p.fd);
        p.fd = -1;
        p.ready = false;
        ++p.generation;
    }

    void close_all() {
        for (auto& p : peers_)
            if (p->fd >= 0) ::close(p->fd), p->fd = -1;
    }

    // The talkers say what the rate asks for by now (spread over them in turn).
    void talk(Clock::time_point started, double rate) {
        const auto due = static_cast<std::uint64_t>(
            rate * std::chrono::duration<double>(Clock::now() - started).count());
        while (said_ < due) {
            Peer* t = nullptr;
            for (std::size_t tries = 0; tries < peers_.size() && !t; ++tries) {
                Peer& candidate = *peers_[next_talker_++ % peers_.size()];
                if (candidate.talker && candidate.ready) t = &candidate;
            }
            if (!t) return;
            chat::encode(t->out, chat::Say{room_, "t" + std::to_string(said_)});
            ++t->said;
            ++said_;
        }
    }

    // One round of poll over every open connection (at most `timeout_ms`).
    void pump(int timeout_ms) {
        fds_.clear();
        owners_.clear();
        for (auto& p : peers_) {
            if (p->fd < 0) continue;
            fds_.push_back(
                pollfd{p->fd, static_cast<short>(POLLIN | (p->out.empty() ? 0 : POLLOUT)), 0});
            owners_.push_back(p.get());
        }
        if (::poll(fds_.data(), fds_.size(), timeout_ms) <= 0) return;
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            Peer& p = *owners_[i];
            if (fds_[i].revents & POLLOUT) write(p);
            if (p.fd >= 0 && (fds_[i].revents & (POLLIN | POLLHUP | POLLERR))) read(p);
        }
    }

    void set_room(std::string room) { room_ = std::move(room); }
    std::uint64_t said() const { return said_; }

  private:
    void write(Peer& p) {
        const ssize_t n = ::send(p.fd, p.out.data(), p.out.size(), MSG_NOSIGNAL);
        if (n > 0) p.out.erase(p.out.begin(), p.out.begin() + n);
    }

    void read(Peer& p) {
        std::byte chunk[65536];
        const ssize_t n = ::recv(p.fd, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            ++tally_.closed;
            tally_.problem("the server closed " + p.nick());
            ::close(p.fd);
            p.fd = -1;
            return;
        }
        if (n < 0) return;
        p.decoder.feed(std::span(chunk, static_cast<std::size_t>(n)));
        while (auto frame = p.decoder.next())
            if (frame->error == chat::ErrorCode::None) on_frame(p, frame->message);
    }

    void on_frame(Peer& p, const chat::AnyMessage& msg) {
        if (std::holds_alternative<chat::Welcome>(msg)) {
            if (p.talker)
                chat::encode(p.out, chat::Join{room_});
            else  // the first time scrollback is not wanted: only where the room stands
                chat::encode(p.out, chat::Resume{room_, p.epoch, p.last_seq,
                                                 static_cast<std::uint16_t>(p.epoch ? 0xFFFF : 0)});
        } else if (auto* j = std::get_if<chat::Joined>(&msg)) {
            p.ready = true;
            p.last_seq = j->next_seq - 1;
        } else if (auto* r = std::get_if<chat::Resumed>(&msg)) {
            on_resumed(p, *r);
        } else if (auto* m = std::get_if<chat::Message>(&msg)) {
            on_message(p, *m);
        } else if (auto* e = std::get_if<chat::Error>(&msg)) {
            ++tally_.errors;
            tally_.problem(p.nick() + " got ERROR " + std::string(chat::error_name(e->code)) +
                           ": " + e->detail);
        }
    }

    void on_resumed(Peer& p, const chat::Resumed& r) {
        p.ready = true;
        if (p.epoch != 0) {  // a reconnect: it must continue where the member left off
            if (r.epoch != p.epoch) {
                ++tally_.epoch_changes;
                tally_.problem(p.nick() + ": the room's epoch changed");
            } else if (r.next_seq != p.last_seq + 1) {
                ++tally_.resume_gaps;
                tally_.lost_in_resume += r.next_seq > p.last_seq ? r.next_seq - p.last_seq - 1 : 0;
                tally_.problem(p.nick() + ": resumed after " + std::to_string(p.last_seq) +
                               " but the replay starts at " + std::to_string(r.next_seq));
            }
        }
        p.epoch = r.epoch;
        p.last_seq = r.next_seq - 1;
        p.catch_up_to = r.live_seq - 1;
        check_caught_up(p);
    }

    void on_message(Peer& p, const chat::Message& m) {
        if (p.in_storm && !p.has_caught_up) ++p.replayed;
        if (m.seq <= p.last_seq) {
            ++tally_.repeats;
            tally_.problem(p.nick() + ": seq " + std::to_string(m.seq) + " again");
        } else if (m.seq != p.last_seq + 1) {
            ++tally_.gaps;
            tally_.problem(p.nick() + ": expected seq " + std::to_string(p.last_seq + 1) +
                           ", got " + std::to_string(m.seq));
        }
        p.last_seq = std::max(p.last_seq, m.seq);
        check_caught_up(p);
    }

    void check_caught_up(Peer& p) {
        if (p.in_storm && !p.has_caught_up && p.ready && p.last_seq >= p.catch_up_to) {
            p.has_caught_up = true;
            p.caught_up = Clock::now();
        }
    }

    const CommonOptions& common_;
    const ResumeOptions& options_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::vector<pollfd> fds_;
    std::vector<Peer*> owners_;
    std::string room_;
    std::uint64_t said_ = 0;
    std::size_t next_talker_ = 0;
    Tally tally_;
};

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(std::lround(q * static_cast<double>(v.size() - 1)))];
}

}  // namespace

Report run_resume(const CommonOptions& common, const ResumeOptions& options) {
    Report report("resume");
    if (options.talkers == 0 || options.members == 0)
        throw SetupError("resume needs at least one member and one talker");
    const std::size_t fits = preflight(common, options.members + options.talkers, report);
    const std::size_t members = fits > options.talkers ? fits - options.talkers : 0;
    if (members == 0) throw SetupError("no member fits the descriptor limit");
    const std::string tag = std::to_string(::getpid());
    const std::string room = options.room.empty() ? "resume" + tag : options.room;
    const std::string prefix = common.nick_prefix.empty() ? "rs" + tag : common.nick_prefix;

    StormRun run(common, options);
    run.set_room(room);
    for (std::size_t i = 0; i < options.talkers; ++i)
        run.add(true, prefix + "t" + std::to_string(i));
    for (std::size_t i = 0; i < members; ++i) run.add(false, prefix + "m" + std::to_string(i));
    auto& peers = run.peers();
    auto all = [&](auto pred) {
        return std::all_of(peers.begin(), peers.end(), [&](const auto& p) { return pred(*p); });
    };

    // Everyone in the room.
    for (auto& p : peers) run.connect(*p);
    const auto setup_deadline = Clock::now() + std::chrono::seconds(30);
    while (!all([](const Peer& p) { return p.ready; })) {
        if (Clock::now() > setup_deadline || !run.tally().first_problem.empty()) {
            run.close_all();
            throw SetupError("not every member got into the room: " +
                             (run.tally().first_problem.empty() ? std::string("timeout")
                                                                : run.tally().first_problem));
        }
        run.pump(10);
    }

    // Talk for the warm-up, then the storm: every member drops at once.
    const auto talk_start = Clock::now();
    auto talk_for = [&](double seconds) {
        const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(seconds));
        while (Clock::now() < until) {
            run.talk(talk_start, options.rate);
            run.pump(1);
        }
    };
    talk_for(std::max(common.warmup_s, 0.2));
    const std::uint64_t said_at_drop = run.said();
    for (auto& p : peers)
        if (!p->talker) run.drop(*p), p->in_storm = true;
    talk_for(options.away_s);
    const std::uint64_t said_while_away = run.said() - said_at_drop;
    // The storm proper: from the reconnect to the last member caught up. chat_bench's own CPU
    // beside the server's tells whether the load generator was the limit.
    auto server_cpu = [&] {
        return common.server_pid > 0 ? read_cpu_seconds(common.server_pid) : std::nullopt;
    };
    const std::optional<double> cpu_before = server_cpu();
    const std::optional<double> self_before = read_cpu_seconds(::getpid());
    const auto reconnect_at = Clock::now();
    for (auto& p : peers)
        if (!p->talker) p->reconnected = Clock::now(), run.connect(*p);
    const auto limit = reconnect_at + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(options.catch_up_limit_s));
    while (!all([](const Peer& p) { return p.talker || p.has_caught_up; }) &&
           Clock::now() < limit) {
        run.talk(talk_start, options.rate);
        run.pump(1);
    }
    const auto storm_end = Clock::now();
    const std::optional<double> cpu_after = server_cpu();
    const std::optional<double> self_after = read_cpu_seconds(::getpid());
    const bool caught_up = all([](const Peer& p) { return p.talker || p.has_caught_up; });

    // Live traffic for the measured time, then silence: every member must end on the last seq.
    talk_for(common.duration_s);
    std::uint64_t final_seq = 0;
    const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
    for (;;) {
        final_seq = 0;
        for (auto& p : peers) final_seq = std::max(final_seq, p->last_seq);
        if (all([&](const Peer& p) { return p.last_seq == final_seq && p.out.empty(); }) &&
            final_seq >= run.said())
            break;
        if (Clock::now() > drain_deadline) break;
        run.pump(10);
    }
    run.close_all();

    // The report.
    std::vector<double> catch_up_ms, replayed;
    for (auto& p : peers) {
        if (p->talker || !p->has_caught_up) continue;
        catch_up_ms.push_back(
            std::chrono::duration<double, std::milli>(p->caught_up - reconnect_at).count());
        replayed.push_back(static_cast<double>(p->replayed));
    }
    const Tally& t = run.tally();
    report.fact("target", common.host + ":" + std::to_string(common.port));
    report.fact("room", room);
    report.add("members", static_cast<double>(members), "", "members that dropped and resumed");
    report.add("talkers", static_cast<double>(options.talkers), "", "talkers (kept saying)");
    report.add("rate", options.rate, "msg/s", "talk rate");
    report.add("away_s", options.away_s, "s", "members away for");
    report.add("said_while_away", static_cast<double>(said_while_away), "", "said while away");
    report.add("catch_up_all_ms",
               catch_up_ms.empty() ? 0 : *std::max_element(catch_up_ms.begin(), catch_up_ms.end()),
               "ms", "every member caught up after (from the reconnect)");
    report.add("catch_up_p50_ms", percentile(catch_up_ms, 0.5), "ms", "one member caught up, p50");
    report.add("catch_up_p99_ms", percentile(catch_up_ms, 0.99), "ms", "one member caught up, p99");
    report.add("replayed_avg",
               replayed.empty() ? 0
                                : std::accumulate(replayed.begin(), replayed.end(), 0.0) /
                                      static_cast<double>(replayed.size()),
               "msg", "messages each member received to catch up (avg)");
    const double storm_s = std::chrono::duration<double>(storm_end - reconnect_at).count();
    if (cpu_before && cpu_after) {
        const double cpu = *cpu_after - *cpu_before;
        report.add("storm_server_cpu_ms", cpu * 1e3, "ms",
                   "server CPU from the reconnect to the last catch-up");
        report.add("storm_server_cpu_pct", storm_s > 0 ? 100.0 * cpu / storm_s : 0, "%",
                   "server CPU over that time (100 = one core)");
    }
    if (self_before && self_after && storm_s > 0)
        report.add("storm_load_cpu_pct", 100.0 * (*self_after - *self_before) / storm_s, "%",
                   "chat_bench CPU over that time (near 100: the load was the limit)");
    report.add("final_seq", static_cast<double>(final_seq), "", "last seq");
    report.add("said", static_cast<double>(run.said()), "", "messages said");

    if (!caught_up)
        report.problem("not every member caught up within " +
                       seconds_text(options.catch_up_limit_s));
    if (t.resume_gaps)
        report.problem(std::to_string(t.resume_gaps) +
                       " resumes did not continue where the "
                       "member left off (" +
                       std::to_string(t.lost_in_resume) + " messages missed): " + t.first_problem);
    if (t.epoch_changes)
        report.problem(std::to_string(t.epoch_changes) + " resumes met another epoch");
    if (t.gaps || t.repeats)
        report.problem(std::to_string(t.gaps) + " gaps and " + std::to_string(t.repeats) +
                       " repeats in the members' runs of seq: " + t.first_problem);
    if (t.errors) report.problem(std::to_string(t.errors) + " ERROR frames: " + t.first_problem);
    if (t.closed) report.problem(std::to_string(t.closed) + " connections closed by the server");
    if (final_seq < run.said())
        report.problem("said " + std::to_string(run.said()) + " but the last seq seen is " +
                       std::to_string(final_seq));
    for (auto& p : peers)
        if (p->last_seq != final_seq) {
            report.problem(p->nick() + " ended on seq " + std::to_string(p->last_seq) + ", not " +
                           std::to_string(final_seq));
            break;
        }
    return report;
}

}  // namespace chat_bench
