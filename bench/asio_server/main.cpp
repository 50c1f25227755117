// The Boost.Asio reference server, shaped like Asio's own chat_server example: a room of
// participants, a session per connection that reads a header then a body with async_read,
// and a write deque per session with one async_write in flight. Single-threaded io_context.
// Speaks proto_lite's subset (HELLO, JOIN, SAY -> MESSAGE with seq, ECHO, PING).
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange unincluded

#include <boost/asio.hpp>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "proto_lite.hpp"

using boost::asio::ip::tcp;
namespace pl = proto_lite;

class participant {
  public:
    virtual ~participant() = default;
    virtual void deliver(const std::string& frame) = 0;
    std::string nick;
};
using participant_ptr = std::shared_ptr<participant>;

class chat_room {
  public:
    explicit chat_room(std::string name) : name_(std::move(name)) {}

    void join(const participant_ptr& p) {
        std::vector<std::string_view> nicks;
        for (const auto& other : participants_) nicks.push_back(other->nick);
        nicks.push_back(p->nick);
        deliver(pl::room_event(name_, 1, p->nick));
        participants_.insert(p);
        p->deliver(pl::joined(name_, next_seq_, nicks));
    }
    void leave(const participant_ptr& p) {
        if (participants_.erase(p)) deliver(pl::room_event(name_, 2, p->nick));
    }
    bool has(const participant_ptr& p) const { return participants_.count(p) > 0; }
    void say(const participant& from, std::string_view text) {
        deliver(pl::message(name_, next_seq_++, from.nick, text));
    }

  private:
    void deliver(const std::string& frame) {
        for (const auto& p : participants_) p->deliver(frame);
    }

    std::string name_;
    std::set<participant_ptr> participants_;
    std::uint64_t next_seq_ = 1;
};

using room_map = std::map<std::string, chat_room, std::less<>>;

class chat_session : public participant, public std::enable_shared_from_this<chat_session> {
  public:
    chat_session(tcp::socket socket, room_map& rooms, std::uint32_t id)
        : socket_(std::move(socket)), rooms_(rooms), id_(id) {}

    void start() { do_read_header(); }

    void deliver(const std::string& frame) override {
        const bool write_in_progress = !write_msgs_.empty();
        write_msgs_.push_back(frame);
        if (!write_in_progress) do_write();
    }

  private:
    void do_read_header() {
        auto self(shared_from_this());
        boost::asio::async_read(socket_, boost::asio::buffer(header_),
                                [this, self](boost::system::error_code ec, std::size_t) {
                                    if (!ec && pl::u16_at(header_) >= pl::kHeader) {
                                        do_read_body();
                                    } else {
                                        leave_all();
                                    }
                                });
    }

    void do_read_body() {
        auto self(shared_from_this());
        body_.resize(pl::u16_at(header_) - pl::kHeader);
        boost::asio::async_read(socket_, boost::asio::buffer(body_),
                                [this, self](boost::system::error_code ec, std::size_t) {
                                    if (!ec) {
                                        handle(pl::u16_at(header_ + 2));
                                        do_read_header();
                                    } else {
                                        leave_all();
                                    }
                                });
    }

    void do_write() {
        auto self(shared_from_this());
        boost::asio::async_write(socket_, boost::asio::buffer(write_msgs_.front()),
                                 [this, self](boost::system::error_code ec, std::size_t) {
                                     if (!ec) {
                                         write_msgs_.pop_front();
                                         if (!write_msgs_.empty()) do_write();
                                     } else {
                                         leave_all();
                                     }
                                 });
    }

    void handle(std::uint16_t type) {
        pl::Reader in(body_.data(), body_.size());
        switch (type) {
            case pl::kHello: {
                in.u16();  // version
                const auto name = in.str();
                if (!in.ok() || !nick.empty()) return;
                nick = std::string(name);
                deliver(pl::welcome(id_, nick, "asio"));
                return;
            }
            case pl::kJoin: {
                const auto name = in.str();
                if (!in.ok() || nick.empty()) return;
                auto it = rooms_.find(name);
                if (it == rooms_.end())
                    it = rooms_.emplace(name, chat_room(std::string(name))).first;
                if (it->second.has(shared_from_this())) return;
                joined_.push_back(&it->second);
                it->second.join(shared_from_this());
                return;
            }
            case pl::kSay: {
                const auto name = in.str();
                const auto text = in.str();
                if (!in.ok()) return;
                if (auto it = rooms_.find(name);
                    it != rooms_.end() && it->second.has(shared_from_this()))
                    it->second.say(*this, text);
                return;
            }
            case pl::kEcho:
            case pl::kPing: {
                std::string frame(reinterpret_cast<const char*>(header_), pl::kHeader);
                frame.append(reinterpret_cast<const char*>(body_.data()), body_.size());
                if (type == pl::kPing) frame[2] = static_cast<char>(pl::kPong);
                deliver(frame);
                return;
            }
            default:
                return;  // outside the benchmark subset
        }
    }

    void leave_all() {
        auto self(shared_from_this());
        for (auto* room : joined_) room->leave(self);
        joined_.clear();
    }

    tcp::socket socket_;
    room_map& rooms_;
    std::uint32_t id_;
    unsigned char header_[pl::kHeader] = {};
    std::vector<unsigned char> body_;
    std::deque<std::string> write_msgs_;
    std::vector<chat_room*> joined_;
};

class chat_server {
  public:
    chat_server(boost::asio::io_context& io, const tcp::endpoint& endpoint)
        : acceptor_(io, endpoint) {
        do_accept();
    }
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  private:
    void do_accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (!ec) {
                // As every netcore engine does; Nagle would stall one-frame-at-a-time writes.
                socket.set_option(tcp::no_delay(true), ec);
                std::make_shared<chat_session>(std::move(socket), rooms_, ++next_id_)->start();
            }
            do_accept();
        });
    }

    tcp::acceptor acceptor_;
    room_map rooms_;
    std::uint32_t next_id_ = 0;
};

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1";
    std::uint16_t port = 7777;
    if (!pl::parse_args(argc, argv, listen, port, nullptr, nullptr)) return 2;
    try {
        boost::asio::io_context io;
        chat_server server(io, tcp::endpoint(boost::asio::ip::make_address(listen), port));
        std::printf("listening on %s:%u engine=asio\n", listen.c_str(),
                    server.local_endpoint().port());
        std::fflush(stdout);
        io.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asio_chat_server: %s\n", e.what());
        return 1;
    }
}
