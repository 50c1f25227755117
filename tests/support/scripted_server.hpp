// A chat server that answers as a test tells it to, on a netcore server in this process: a
// revision 1 server (RESUME is an unknown type), or a hostile one that breaks its stream
// right after WELCOME. It speaks just enough of the protocol for a client to log in, join,
// talk and measure; what the clients sent is kept for the test to check.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "chat/frame_decoder.hpp"
#include "netcore/server.hpp"

namespace testing_support {

class ScriptedServer final : private netcore::ConnectionHandler {
  public:
    struct Script {
        // After WELCOME, a frame whose size (2) is below the protocol's minimum of 4.
        bool break_stream_after_welcome = false;
    };

    ScriptedServer(const std::string& engine, Script script);
    ~ScriptedServer() override;
    ScriptedServer(const ScriptedServer&) = delete;
    ScriptedServer& operator=(const ScriptedServer&) = delete;

    std::uint16_t port() const { return server_.port(); }
    // Every frame type received from any client, in order; connections accepted so far.
    std::vector<chat::MsgType> received() const;
    int count(chat::MsgType type) const;
    int connections() const;

  private:
    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;
    void answer(netcore::Connection& conn, const chat::AnyMessage& msg);

    Script script_;
    mutable std::mutex mutex_;
    std::map<std::uint64_t, chat::FrameDecoder> decoders_;
    std::map<std::uint64_t, std::string> nicks_;
    std::map<std::string, std::uint64_t> next_seq_;  // per room, from 1
    std::vector<chat::MsgType> received_;
    int connections_ = 0;
    netcore::Server server_;  // last: stopped before the state above goes
};

}  // namespace testing_support
