// Three chat_server processes sharing their rooms through a real redis-server, each started by
// the test on free loopback ports and stopped (SIGKILL at worst) at the end. Every wait is
// bounded.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "server_process.hpp"
#include "test_client.hpp"

namespace testing_support {

using Clock = std::chrono::steady_clock;

struct Node {
    std::string name;
    std::unique_ptr<ServerProcess> process;
    std::uint16_t port = 0;
    std::string log;
};

class ClusterTest : public ::testing::Test {
  protected:
    // Redis' limit for a subscriber that does not read (the stopped-node test lowers it).
    virtual std::vector<std::string> redis_arguments() const { return {}; }
    virtual std::vector<std::string> node_arguments() const { return {}; }

    void SetUp() override {
        NETCHAT_SKIP_WITHOUT_REDIS();
        redis_ = std::make_unique<RedisServer>(redis_arguments());
        for (int i = 1; i <= 3; ++i) start_node(i);
        for (auto& node : nodes_) wait_ready(node);
    }
    void TearDown() override {
        for (auto& node : nodes_) {
            if (!node.process) continue;
            node.process->signal(SIGCONT);
            node.process->signal(SIGTERM);
            const int status = node.process->wait_exit(std::chrono::seconds(5));
            if (status == -1)
                ADD_FAILURE() << node.name << " did not stop within 5 s of SIGTERM";
            else if (status != 0)  // a sanitizer's report ends the process with an error too
                ADD_FAILURE() << node.name << " exited with status " << status;
            const std::string log = file_text(node.log);
            for (const char* report : {"Sanitizer", "runtime error:"})
                if (log.find(report) != std::string::npos)
                    ADD_FAILURE() << node.name << "'s log has a report (" << report << ")";
        }
        if (HasFailure())
            for (auto& node : nodes_)
                std::fprintf(stderr, "---- %s log: %s\n", node.name.c_str(), node.log.c_str());
        redis_.reset();
    }

    static std::string file_text(const std::string& path) {
        std::ifstream in(path);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }

    void start_node(int i) {
        Node node;
        node.name = "n" + std::to_string(i);
        node.log = "/tmp/netchat-cluster-" + std::to_string(::getpid()) + "-" + node.name + ".log";
        std::vector<std::string> args{"--port",      "0",       "--cluster",    redis_->url(),
                                      "--node",      node.name, "--rate-limit", "0",
                                      "--log-level", "debug"};
        for (const auto& a : node_arguments()) args.push_back(a);
        node.process = std::make_unique<ServerProcess>(CHAT_SERVER_PATH, args, node.log);
        node.port = node.process->wait_listening();
        ASSERT_NE(node.port, 0) << node.name << " did not start";
        if (static_cast<int>(nodes_.size()) >= i)
            nodes_[i - 1] = std::move(node);
        else
            nodes_.push_back(std::move(node));
    }

    // Until the node has reached Redis: a HELLO is answered WELCOME, not ERROR unavailable.
    void wait_ready(const Node& node) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        for (int attempt = 0; Clock::now() < deadline; ++attempt) {
            TestClient probe(node.port);
            probe.send(chat::Hello{chat::kProtocolVersion, "probe" + std::to_string(attempt), ""});
            const auto answer = probe.read();
            if (std::holds_alternative<chat::Welcome>(answer)) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << node.name << " did not reach Redis within 10 s";
    }

    Node& node(int i) { return nodes_.at(static_cast<std::size_t>(i - 1)); }
    // Closes a Redis connection by its name (a node names its two "netchat-NODE-commands" and
    // "netchat-NODE-subscriber").
    void kill_client(const std::string& name) {
        const std::string list = redis_->command({"CLIENT", "LIST"});
        const auto at = list.find(" name=" + name + " ");
        ASSERT_NE(at, std::string::npos) << "no Redis client named " << name << ": " << list;
        const auto line = list.rfind("id=", at);
        const std::string id = list.substr(line + 3, list.find(' ', line) - line - 3);
        EXPECT_EQ(redis_->command({"CLIENT", "KILL", "ID", id}), "1");
    }
    std::unique_ptr<TestClient> connect(int i) {
        return std::make_unique<TestClient>(node(i).port);
    }

    std::unique_ptr<RedisServer> redis_;
    std::vector<Node> nodes_;
};

// The next frame of type T, skipping others (ROOM_EVENT, BOARD...); throws after `timeout`.
template <class T>
T next_of(TestClient& c, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) throw std::runtime_error("timed out waiting for a frame");
        auto msg = c.read(left);
        if (auto* m = std::get_if<T>(&msg)) return std::move(*m);
    }
}

}  // namespace testing_support
