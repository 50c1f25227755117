// netcore's client side on every engine: connections opened by this process, adopted by a
// running engine, talking to a real server.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "chat/client_session.hpp"
#include "netcore/client.hpp"
#include "netcore/engine_registry.hpp"
#include "server_under_test.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

// Feeds every connection's bytes into its own ClientSession.
class SessionHandler : public netcore::ConnectionHandler {
  public:
    void on_open(const netcore::ConnectionPtr& conn) override {
        std::lock_guard lock(mutex_);
        sessions_[conn->id()];
        ++opened_;
        cv_.notify_all();
    }
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override {
        std::lock_guard lock(mutex_);
        sessions_[conn.id()].feed(data);
        cv_.notify_all();
        return data.size();
    }
    void on_close(netcore::Connection& conn, netcore::CloseReason) override {
        std::lock_guard lock(mutex_);
        ++closed_;
        (void)conn;
        cv_.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return pred(); });
    }
    chat::ClientSession& session(std::uint64_t id) { return sessions_[id]; }
    int opened_ = 0, closed_ = 0;
    std::mutex mutex_;

  private:
    std::condition_variable cv_;
    std::map<std::uint64_t, chat::ClientSession> sessions_;
};

std::vector<std::string> engine_list() {
    std::vector<std::string> out;
    for (const auto& e : netcore::engines()) out.emplace_back(e.name);
    return out;
}

class ClientSide : public ::testing::TestWithParam<std::string> {};

TEST_P(ClientSide, ConnectsLogsInAndChatsOnEveryEngine) {
    ServerUnderTest server(std::string(netcore::default_engine_name()));  // epoll, iocp
    SessionHandler handler;
    netcore::Client client(handler);
    client.start(GetParam());
    std::string error;
    std::vector<netcore::ConnectionPtr> conns;
    for (int i = 0; i < 20; ++i) {
        auto conn = client.connect("127.0.0.1", server.port(), error);
        ASSERT_TRUE(conn) << error;
        conns.push_back(conn);
    }
    ASSERT_TRUE(handler.wait([&] { return handler.opened_ == 20; }));
    for (int i = 0; i < 20; ++i) {
        chat::ClientSession hello_builder;
        conns[i]->send(hello_builder.hello("c" + std::to_string(i), ""));
        conns[i]->send(chat::encode(chat::Join{"lobby"}));
    }
    ASSERT_TRUE(handler.wait([&] {
        for (auto& c : conns)
            if (handler.session(c->id()).rooms().count("lobby") == 0) return false;
        return true;
    })) << "not every client got JOINED";
    conns[0]->send(chat::encode(chat::Say{"lobby", "hello from the client side"}));
    ASSERT_TRUE(handler.wait([&] {
        for (auto& c : conns) {
            const auto& rooms = handler.session(c->id()).rooms();
            auto it = rooms.find("lobby");
            if (it == rooms.end() || it->second.lines.empty() ||
                it->second.lines.back().text != "hello from the client side")
                return false;
        }
        return true;
    }));
    std::string err2;
    EXPECT_FALSE(client.connect("127.0.0.1", 1, err2, 1s));
    EXPECT_NE(err2.find("cannot connect"), std::string::npos) << err2;
    client.stop();
    EXPECT_EQ(handler.closed_, 20);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, ClientSide, ::testing::ValuesIn(engine_list()),
                         [](const auto& info) { return info.param; });

}  // namespace
