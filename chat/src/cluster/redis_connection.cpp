#include "redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace chat::cluster {

struct RedisConnection::Pending {
    RedisConnection* owner;
    ResultHandler done;
    Clock::time_point deadline;
};

struct RedisConnection::Channel {
    RedisConnection* owner;
    MessageHandler on_message;
    ResultHandler subscribed;  // emptied once it has run
    Clock::time_point deadline;
};

RedisConnection::RedisConnection(std::string name, std::function<void(const std::string&)> on_down)
    : name_(std::move(name)), on_down_(std::move(on_down)) {}

RedisConnection::~RedisConnection() {
    if (ac_) redisAsyncFree(ac_);  // the link thread has stopped: nobody is told any more
}

void RedisConnection::assert_link_thread() const {
    if (std::this_thread::get_id() != owner_) {
        spdlog::critical("cluster: Redis {} connection used off the link thread", name_);
        std::abort();
    }
}

bool RedisConnection::open(const RedisAddress& address, const std::string& name,
                           std::chrono::milliseconds timeout, std::function<void()> on_up,
                           std::string& error) {
    assert_link_thread();
    if (ac_) close("reconnecting");
    ac_ = redisAsyncConnect(address.host.c_str(), address.port);
    if (!ac_) {
        error = "out of memory";
        return false;
    }
    if (ac_->err) {
        error = ac_->errstr;
        redisAsyncFree(ac_);
        ac_ = nullptr;
        return false;
    }
    ac_->data = this;
    ac_->ev.data = this;
    ac_->ev.addRead = add_read;
    ac_->ev.delRead = del_read;
    ac_->ev.addWrite = add_write;
    ac_->ev.delWrite = del_write;
    ac_->ev.cleanup = cleanup;
    redisAsyncSetConnectCallback(ac_, on_connect);
    state_ = State::Connecting;
    closing_ = false;
    lost_why_.clear();
    on_up_ = std::move(on_up);
    // Queued behind the connect; the PING's answer is the proof that Redis is there.
    std::vector<std::string> select = {"SELECT", std::to_string(address.db)};
    auto select_done =
        std::make_unique<Pending>(Pending{this, [](RedisResult) {}, Clock::now() + timeout});
    std::vector<std::string> setname = {"CLIENT", "SETNAME", name};
    auto setname_done =
        std::make_unique<Pending>(Pending{this, [](RedisResult) {}, Clock::now() + timeout});
    std::vector<std::string> ping = {"PING"};
    auto ping_done = std::make_unique<Pending>(
        Pending{this,
                [this](RedisResult r) {
                    if (!r.ok()) return;  // the connection is being lost: on_down says why
                    state_ = State::Up;
                    if (on_up_) on_up_();
                },
                Clock::now() + timeout});
    if (!send(select, on_reply, select_done.get()) ||
        !send(setname, on_reply, setname_done.get()) || !send(ping, on_reply, ping_done.get())) {
        error = lost_why_.empty() ? "cannot queue the first commands" : lost_why_;
        close(error);
        return false;
    }
    pending_.push_back(std::move(select_done));
    pending_.push_back(std::move(setname_done));
    pending_.push_back(std::move(ping_done));
    return true;
}

void RedisConnection::close(const std::string& why) {
    assert_link_thread();
    if (ac_) {
        closing_ = true;
        lost_why_ = why;
        redisAsyncFree(ac_);  // runs every callback with no reply, then cleanup()
        ac_ = nullptr;
    }
    lost(why);
    run_ready();
}

bool RedisConnection::send(std::vector<std::string>& args,
                           void (*fn)(redisAsyncContext*, void*, void*), void* privdata) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const std::string& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    return redisAsyncCommandArgv(ac_, fn, privdata, static_cast<int>(argv.size()), argv.data(),
                                 lens.data()) == REDIS_OK;
}

void RedisConnection::command(std::vector<std::string> args, ResultHandler done,
                              std::chrono::milliseconds timeout) {
    assert_link_thread();
    if (state_ != State::Up || !ac_) {
        done(RedisResult{std::nullopt, "Redis is not connected"});
        return;
    }
    auto pending =
        std::make_unique<Pending>(Pending{this, std::move(done), Clock::now() + timeout});
    if (!send(args, on_reply, pending.get())) {
        pending->done(RedisResult{std::nullopt, "hiredis refused the command"});
        return;
    }
    pending_.push_back(std::move(pending));
}

void RedisConnection::subscribe(const std::string& channel, MessageHandler on_message,
                                ResultHandler subscribed, std::chrono::milliseconds timeout) {
    assert_link_thread();
    if (state_ != State::Up || !ac_) {
        subscribed(RedisResult{std::nullopt, "Redis is not connected"});
        return;
    }
    if (const auto it = channels_.find(channel); it != channels_.end()) {
        it->second->on_message = std::move(on_message);
        subscribed(RedisResult{RedisValue{RedisValue::Kind::Status, "already", 0, {}}, {}});
        return;
    }
    auto entry = std::make_unique<Channel>(
        Channel{this, std::move(on_message), std::move(subscribed), Clock::now() + timeout});
    std::vector<std::string> args = {"SUBSCRIBE", channel};
    if (!send(args, on_channel, entry.get())) {
        entry->subscribed(RedisResult{std::nullopt, "hiredis refused SUBSCRIBE"});
        return;
    }
    channels_.emplace(channel, std::move(entry));
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* p = static_cast<Pending*>(privdata);
    RedisConnection& self = *p->owner;
    RedisResult result;
    if (reply)
        result.value = RedisValue::from(*static_cast<redisReply*>(reply));
    else
        result.failure = !self.lost_why_.empty() ? self.lost_why_
                         : ac->err               ? std::string(ac->errstr)
                                                 : std::string("connection closed");
    for (auto it = self.pending_.begin(); it != self.pending_.end(); ++it) {
        if (it->get() != p) continue;
        self.ready_.push_back([done = std::move((*it)->done),
                               result = std::move(result)]() mutable { done(std::move(result)); });
        self.pending_.erase(it);
        return;
    }
}

void RedisConnection::on_channel(redisAsyncContext*, void* reply, void* privdata) {
    auto* ch = static_cast<Channel*>(privdata);
    RedisConnection& self = *ch->owner;
    if (!reply) return;  // the connection is going: close()/lost() fail what waits
    const auto* r = static_cast<redisReply*>(reply);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const std::string kind(r->element[0]->str ? r->element[0]->str : "", r->element[0]->len);
    if (kind == "subscribe") {
        if (ch->subscribed)
            self.ready_.push_back([done = std::move(ch->subscribed)] {
                done(RedisResult{RedisValue{RedisValue::Kind::Status, "subscribed", 0, {}}, {}});
            });
        ch->subscribed = nullptr;
    } else if (kind == "message" && r->element[1]->str && r->element[2]->str) {
        // The handler copied: the channel's entry is gone if the connection closes meanwhile.
        self.ready_.push_back([handler = ch->on_message,
                               channel = std::string(r->element[1]->str, r->element[1]->len),
                               payload = std::string(r->element[2]->str, r->element[2]->len)] {
            handler(channel, payload);
        });
    }
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (status != REDIS_OK) self->lost_why_ = ac->errstr;  // hiredis frees the context next
}

void RedisConnection::add_read(void* self) {
    static_cast<RedisConnection*>(self)->events_ |= POLLIN;
}
void RedisConnection::del_read(void* self) {
    static_cast<RedisConnection*>(self)->events_ &= ~POLLIN;
}
void RedisConnection::add_write(void* self) {
    static_cast<RedisConnection*>(self)->events_ |= POLLOUT;
}
void RedisConnection::del_write(void* self) {
    static_cast<RedisConnection*>(self)->events_ &= ~POLLOUT;
}
// hiredis is freeing the context (asked, or after an error or EOF it met).
void RedisConnection::cleanup(void* privdata) {
    auto* self = static_cast<RedisConnection*>(privdata);
    if (self->lost_why_.empty() && self->ac_ && self->ac_->err) self->lost_why_ = self->ac_->errstr;
    self->ac_ = nullptr;
    self->events_ = 0;
}

void RedisConnection::lost(const std::string& why) {
    const bool was_open = state_ != State::Down;
    state_ = State::Down;
    events_ = 0;
    for (auto& p : pending_)
        ready_.push_back([done = std::move(p->done), why] {
            done(RedisResult{std::nullopt, why});
        });
    pending_.clear();
    for (auto& [name, ch] : channels_)
        if (ch->subscribed)
            ready_.push_back([done = std::move(ch->subscribed), why] {
                done(RedisResult{std::nullopt, why});
            });
    channels_.clear();
    if (was_open && !closing_ && on_down_) ready_.push_back([this, why] { on_down_(why); });
}

void RedisConnection::run_ready() {
    // A callback may add to ready_ (a command that fails at once): take turns until it is empty.
    while (!ready_.empty()) {
        std::vector<std::function<void()>> batch;
        batch.swap(ready_);
        for (auto& f : batch) f();
    }
}

int RedisConnection::fd() const {
    return ac_ ? ac_->c.fd : -1;
}

void RedisConnection::handle(short revents) {
    assert_link_thread();
    if (ac_ && (revents & (POLLIN | POLLHUP | POLLERR))) redisAsyncHandleRead(ac_);
    if (ac_ && (revents & POLLOUT)) redisAsyncHandleWrite(ac_);
    if (!ac_ && state_ != State::Down) lost(lost_why_.empty() ? "connection lost" : lost_why_);
    run_ready();
}

void RedisConnection::check_deadlines(Clock::time_point now) {
    assert_link_thread();
    if (state_ == State::Down) return;
    bool late = !pending_.empty() && pending_.front()->deadline <= now;
    for (const auto& [name, ch] : channels_) late = late || (ch->subscribed && ch->deadline <= now);
    if (!late) return;
    const std::string why = "Redis did not answer in time";
    closing_ = false;  // an unasked close: on_down tells the link
    if (ac_) {
        lost_why_ = why;
        redisAsyncFree(ac_);
        ac_ = nullptr;
    }
    lost(why);
    run_ready();
}

}  // namespace chat::cluster
