#include "client_controller.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "netcore/engine_registry.hpp"

namespace client_gui {

std::string explain_connect_error(const std::string& host, std::uint16_t port,
                                  const std::string& error) {
    const std::string where = host + ":" + std::to_string(port);
    if (error.find("refused") != std::string::npos)
        return "No chat server is listening at " + where + " (connection refused).";
    if (error.find("timed out") != std::string::npos)
        return where + " does not answer (timed out).";
    if (error.find("resolve") != std::string::npos) return "Cannot find the host: " + error + ".";
    return "Cannot connect to " + where + ": " + error + ".";
}

std::string explain_tls_error(const std::string& host, std::uint16_t port,
                              const std::string& error) {
    const auto has = [&](const char* word) { return error.find(word) != std::string::npos; };
    std::string text = "TLS with " + host + ":" + std::to_string(port) + " failed: " + error + ".";
    if (has("certificate") || has("verify") || has("self-signed") || has("self signed") ||
        has("host") || has("expired") || has("issuer"))
        text +=
            " The server's certificate was not accepted: --ca FILE trusts the certificate it "
            "uses (scripts/make-tls-cert.sh writes one), --insecure checks none.";
    else if (has("version") || has("record") || has("packet") || has("protocol"))
        text +=
            " Does the server speak TLS on this port? (chat_server --tls-port names its "
            "TLS port.)";
    return text;
}

std::string insecure_warning(const std::string& host) {
    return "--insecure: the server's certificate and host name are NOT checked; anyone "
           "between here and " +
           host + " can read and change the chat.";
}

ClientController::ClientController(ClientModel& model, std::function<void()> wake,
                                   ControllerOptions options)
    : model_(model), wake_(std::move(wake)), options_(std::move(options)), net_(*this) {}

ClientController::~ClientController() {
    stop();
}

void ClientController::start() {
    net_.start(options_.engine.empty() ? netcore::default_engine_name() : options_.engine);
    thread_ = std::thread([this] { run(); });
}

void ClientController::stop() {
    model_.stop();
    if (thread_.joinable()) thread_.join();
    netcore::ConnectionPtr last;
    {
        std::lock_guard lock(mutex_);
        has_target_ = false;
        if (conn_) {
            send(session_.bye("client closed"));
            conn_->close();
            last = conn_;
        }
    }
    // Give the BYE a moment to leave before the engine stops.
    for (int i = 0; last && i < 30 && last->queued_bytes() > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    net_.stop();
}

// ---- controller thread ----

void ClientController::run() {
    while (!model_.stopping()) {
        const auto commands = model_.wait(next_deadline(Clock::now()));
        auto now = Clock::now();
        for (auto command : commands) execute(command, now);
        now = Clock::now();
        tick(now);
        bool publish_now;
        {
            std::lock_guard lock(mutex_);
            publish_now = dirty_ && now - last_publish_ >= options_.min_publish_gap;
        }
        if (publish_now) publish(now);
    }
}

ClientController::Clock::time_point ClientController::next_deadline(Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto deadline = now + std::chrono::milliseconds(500);
    if (dirty_) deadline = std::min(deadline, last_publish_ + options_.min_publish_gap);
    if (link_ == Link::Retrying) deadline = std::min(deadline, retry_at_);
    if (link_ == Link::Ready) deadline = std::min({deadline, next_ping_, next_info_, next_rooms_});
    return deadline;
}

void ClientController::execute(Command& command, Clock::time_point now) {
    if (auto* c = std::get_if<Connect>(&command)) {
        {
            std::lock_guard lock(mutex_);
            if (conn_) drop_connection("reconnecting elsewhere");
            session_ = chat::ClientSession{};  // a new server, or a new nick: start afresh
            rooms_.clear();
            target_ = *c;
            has_target_ = true;
            welcomed_once_ = false;
            attempt_ = 0;
            broken_streams_ = 0;
            problem_.clear();
        }
        connect_now();
        return;
    }
    std::lock_guard lock(mutex_);
    if (std::holds_alternative<Disconnect>(command)) {
        has_target_ = false;
        if (conn_) drop_connection("disconnected by the user");
        session_.disconnected();
        link_ = Link::Idle;
        problem_.clear();
        changed();
        return;
    }
    if (link_ != Link::Ready) {
        note_error("Not connected: wait for the connection to come back.");
        return;
    }
    if (auto* j = std::get_if<JoinRoom>(&command)) {
        send(session_.enter(j->room));  // RESUME: the room's recent history, then live
    } else if (auto* l = std::get_if<LeaveRoom>(&command)) {
        send(session_.leave(l->room));
    } else if (auto* s = std::get_if<SayText>(&command)) {
        if (auto frame = session_.say(s->room, s->text))
            send(*frame);
        else
            note_error("Not sent: chat text is 1 to 1024 bytes.");
    } else if (auto* w = std::get_if<WhisperText>(&command)) {
        if (auto frame = session_.whisper(w->to, w->text))
            send(*frame);
        else
            note_error("Not sent: chat text is 1 to 1024 bytes.");
    } else if (auto* m = std::get_if<MovePiece>(&command)) {
        send(session_.move(m->room, m->x, m->y));
    } else if (std::holds_alternative<RefreshRooms>(command)) {
        send(session_.list_rooms());
        next_rooms_ = now + options_.rooms_every;
    }
}

void ClientController::connect_now() {
    std::string host, error;
    std::uint16_t port;
    bool tls = false;
    {
        std::lock_guard lock(mutex_);
        if (!has_target_) return;
        host = target_.host;
        port = target_.port;
        tls = target_.tls;
        link_ = Link::Connecting;
        changed();
    }
    if (tls && !tls_) {
        try {
            tls_ = netcore::TlsContext::client({options_.tls_ca, !options_.tls_insecure});
        } catch (const std::exception& e) {  // an unreadable --ca, a build without TLS...
            std::lock_guard lock(mutex_);
            spdlog::error("TLS cannot be used: {}", e.what());
            link_ = Link::Idle;
            problem_ = "TLS cannot be used: " + std::string(e.what());
            has_target_ = false;
            changed();
            return;
        }
    }
    if (tls && options_.tls_insecure) spdlog::warn("{}", insecure_warning(host));
    publish(Clock::now());
    // Blocking, bounded by the timeout: on this thread, so the UI and the engine go on.
    auto conn = net_.connect(host, port, error, options_.connect_timeout, "", tls ? tls_ : nullptr);
    std::lock_guard lock(mutex_);
    if (!has_target_ || link_ != Link::Connecting) {  // the engine already closed it
        return;
    }
    if (!conn) {
        const std::string why = explain_connect_error(host, port, error);
        spdlog::info("connect to {}:{} failed: {}", host, port, error);
        if (welcomed_once_ || target_.keep_trying) {
            schedule_retry(why);
        } else {
            link_ = Link::Idle;
            problem_ = why;
            has_target_ = false;
        }
        changed();
        return;
    }
    attach(conn);
}

void ClientController::tick(Clock::time_point now) {
    bool retry = false;
    {
        std::lock_guard lock(mutex_);
        if (link_ == Link::Retrying && now >= retry_at_) retry = true;
        if (link_ == Link::Ready) {
            if (now >= next_ping_) {
                send(session_.ping(now));
                next_ping_ = now + options_.ping_every;
            }
            if (now >= next_info_) {
                send(session_.info_request());
                next_info_ = now + options_.info_every;
            }
            if (now >= next_rooms_) {
                send(session_.list_rooms());
                next_rooms_ = now + options_.rooms_every;
            }
        }
        const bool waiting = link_ == Link::Ready || link_ == Link::LoggingIn;
        if (waiting && conn_ && now - last_heard_ > options_.silence_limit) {
            spdlog::warn("nothing heard from the server for {} ms: dropping the connection",
                         options_.silence_limit.count());
            auto dead = conn_;
            dead->abort();  // on_close follows and schedules the retry
        }
    }
    if (retry) connect_now();
}

void ClientController::publish(Clock::time_point now) {
    auto view = std::make_shared<ClientView>();
    {
        std::lock_guard lock(mutex_);
        view->serial = ++serial_;
        view->link = link_;
        view->host = target_.host;
        view->port = target_.port;
        view->nick = session_.nick().empty() ? target_.nick : session_.nick();
        view->problem = problem_;
        view->welcomed_once = welcomed_once_;
        view->attempt = attempt_;
        view->retry_at = retry_at_;
        view->server_name = session_.server_name();
        view->engine = session_.engine();
        view->rtt = session_.rtt();
        view->frames_in = session_.frames_in();
        view->frames_out = session_.frames_out();
        view->resume = session_.resume_supported();
        view->tls = target_.tls;
        if (conn_ && target_.tls)
            if (const auto info = conn_->tls_info()) {
                view->tls_version = info->version;
                view->tls_cipher = info->cipher;
            }
        if (target_.tls && options_.tls_insecure)
            view->tls_warning = insecure_warning(target_.host);
        // Rooms are shared with the previous view unless they changed.
        for (auto it = rooms_.begin(); it != rooms_.end();)
            it = session_.rooms().count(it->first) ? std::next(it) : rooms_.erase(it);
        for (const auto& [name, room] : session_.rooms()) {
            auto& cached = rooms_[name];
            if (!cached.second || cached.first != room.version)
                cached = {room.version, std::make_shared<const chat::RoomView>(room)};
            view->rooms[name] = cached.second;
        }
        view->room_list = session_.room_list();
        if (whispers_seen_ != session_.whispers_received() || !whispers_) {
            whispers_seen_ = session_.whispers_received();
            whispers_ = std::make_shared<const std::vector<chat::Whispered>>(
                session_.whispers().begin(), session_.whispers().end());
        }
        view->whispers = whispers_;
        view->notices.assign(session_.notices().begin(), session_.notices().end());
        view->notices_total = session_.notices_received();
        view->last_error = last_error_;
        view->error_serial = error_serial_;
        dirty_ = false;
        last_publish_ = now;
    }
    model_.publish(std::move(view));
    if (wake_) wake_();
}

// ---- engine thread ----

void ClientController::on_open(const netcore::ConnectionPtr& conn) {
    std::lock_guard lock(mutex_);
    if (link_ == Link::Connecting && !conn_)
        attach(conn);
    else if (conn != conn_)
        conn->abort();  // a connect the user no longer wants
}

std::size_t ClientController::on_data(netcore::Connection& conn, std::span<const std::byte> data) {
    std::lock_guard lock(mutex_);
    if (!conn_ || conn_.get() != &conn) return data.size();
    const auto now = Clock::now();
    last_heard_ = now;
    for (const auto& msg : session_.feed(data, now)) {
        if (std::holds_alternative<chat::Welcome>(msg)) {
            on_welcome();
        } else if (auto* e = std::get_if<chat::Error>(&msg)) {
            // A revision 1 server does not know RESUME: the session enters with JOIN instead
            // (take_outgoing below), which is no news for the user.
            const bool resume_unknown =
                e->code == chat::ErrorCode::UnknownType &&
                e->in_reply_to == static_cast<std::uint16_t>(chat::MsgType::Resume);
            if (resume_unknown)
                spdlog::info("the server does not serve RESUME (protocol revision 1): joining");
            else if (session_.state() != chat::ClientState::Refused)
                note_error(chat::ClientSession::explain(e->code, e->detail));
        } else if (std::holds_alternative<chat::Joined>(msg) ||
                   std::holds_alternative<chat::Resumed>(msg) ||
                   std::holds_alternative<chat::Left>(msg)) {
            next_rooms_ = now;  // member counts changed
            model_.poke();
        } else if (auto* n = std::get_if<chat::Notice>(&msg)) {
            spdlog::info("notice from the operator: {}", n->text);
        } else if (std::holds_alternative<chat::Pong>(msg)) {
            broken_streams_ = 0;  // a whole round trip in step: this server is sound
        }
    }
    for (const auto& frame : session_.take_outgoing()) send(frame);
    if (session_.state() == chat::ClientState::Refused && link_ != Link::Refused) on_refused();
    if (!session_.broken_stream().empty() && conn_) on_broken_stream();
    changed();
    return data.size();
}

void ClientController::on_close(netcore::Connection& conn, netcore::CloseReason reason) {
    std::lock_guard lock(mutex_);
    if (!conn_ || conn_.get() != &conn) return;
    conn_.reset();
    session_.disconnected();
    const std::string tls_error = conn.tls_error();
    spdlog::info("connection closed: {}{}", netcore::to_string(reason),
                 tls_error.empty() ? "" : " (" + tls_error + ")");
    if (!has_target_ || link_ == Link::Refused) return changed();
    if (reason == netcore::CloseReason::TlsFailed || !tls_error.empty()) {
        on_tls_failure(tls_error.empty() ? "the TLS handshake failed" : tls_error);
        return changed();
    }
    if (welcomed_once_ || target_.keep_trying)
        schedule_retry(welcomed_once_ ? "The connection to the server was lost."
                                      : "The server closed the connection before logging in.");
    else {
        link_ = Link::Idle;
        has_target_ = false;
        problem_ = "The server closed the connection before logging in.";
    }
    changed();
}

// ---- with mutex_ held ----

void ClientController::attach(const netcore::ConnectionPtr& conn) {
    if (conn_ == conn) return;  // on_open and connect() both get here; the first one wins
    conn_ = conn;
    link_ = Link::LoggingIn;
    last_heard_ = Clock::now();
    send(session_.hello(target_.nick, target_.password));
    changed();
}

void ClientController::on_welcome() {
    const bool again = welcomed_once_;
    link_ = Link::Ready;
    welcomed_once_ = true;
    attempt_ = 0;
    problem_.clear();
    const auto tls = conn_ ? conn_->tls_info() : std::nullopt;
    spdlog::info("logged in to {} as {} (engine {}){}", session_.server_name(), session_.nick(),
                 session_.engine(),
                 tls ? " over " + tls->version + " " + tls->cipher : std::string());
    // After a reconnect, the rooms we were in; the first time, lobby and --room.
    // Both with RESUME where the server serves it: each known room from the last seq shown,
    // a new one with scrollback.
    if (again && !session_.rooms().empty()) {
        for (const auto& frame : session_.rejoin_frames()) send(frame);
    } else {
        for (const auto& room : target_.rooms) send(session_.enter(room));
    }
    const auto now = Clock::now();
    send(session_.ping(now));
    next_ping_ = now + options_.ping_every;
    next_info_ = now + options_.info_every;
    next_rooms_ = now;
}

void ClientController::on_refused() {
    const auto& refusal = session_.refusal();
    const auto code = refusal ? refusal->code : chat::ErrorCode::None;
    const std::string text = refusal ? refusal->text : "The server refused the login.";
    spdlog::warn("refused: {}", text);
    drop_connection("refused");
    // Our own ghost may still hold the nick for a moment after a reconnect; a full server
    // may make room. Anything else needs the user.
    if (welcomed_once_ &&
        (code == chat::ErrorCode::NickTaken || code == chat::ErrorCode::ServerFull)) {
        schedule_retry(text);
    } else {
        link_ = Link::Refused;
        has_target_ = false;
        problem_ = text;
    }
}

// The server's stream is out of step (a frame size out of range): nothing it sends can be
// read any more, so the connection goes, with the reason, and comes back as after any loss.
// Each broken stream in a row lengthens the wait: a server that breaks every stream right
// after WELCOME is not hammered every half second.
void ClientController::on_broken_stream() {
    const std::string why = session_.broken_stream();
    spdlog::warn("{} Dropping the connection.", why);
    conn_->abort();
    conn_.reset();  // its on_close is ignored from now on
    session_.disconnected();
    ++broken_streams_;
    if (!has_target_) return;
    if (welcomed_once_ || target_.keep_trying) {
        attempt_ = std::max(attempt_, broken_streams_ - 1);
        schedule_retry(why);
    } else {
        link_ = Link::Idle;
        has_target_ = false;
        problem_ = why;
    }
}

// A certificate refused, a server that does not speak TLS: what the user must know, and no
// quick retries (the backoff's half second would only repeat the same refusal). A client
// that keeps trying tries again after tls_retry; one the user started waits for the user.
void ClientController::on_tls_failure(const std::string& error) {
    const std::string why = explain_tls_error(target_.host, target_.port, error);
    spdlog::warn("{}", why);
    if (welcomed_once_ || target_.keep_trying) {
        schedule_retry(why, options_.tls_retry);
    } else {
        link_ = Link::Idle;
        has_target_ = false;
        problem_ = why;
    }
}

void ClientController::send(const chat::Bytes& frame) {
    if (!conn_) return;
    if (conn_->send(frame)) session_.count_sent();
}

void ClientController::drop_connection(const std::string& reason) {
    if (!conn_) return;
    send(session_.bye(reason));
    conn_->close();
    conn_.reset();  // its on_close is ignored from now on
}

void ClientController::schedule_retry(const std::string& why,
                                      std::optional<std::chrono::milliseconds> fixed_delay) {
    ++attempt_;
    link_ = Link::Retrying;
    problem_ = why;
    const auto delay = fixed_delay ? *fixed_delay : options_.backoff.delay(attempt_, rng_);
    retry_at_ = Clock::now() + delay;
    spdlog::info("{} retrying in {} ms (attempt {})", why, delay.count(), attempt_);
}

void ClientController::note_error(const std::string& text) {
    last_error_ = text;
    ++error_serial_;
    changed();
}

void ClientController::changed() {
    dirty_ = true;
    model_.poke();
}

}  // namespace client_gui
