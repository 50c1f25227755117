// The connect scenario's handler: HELLO on open, then count WELCOMEs, refusals and closes.
// Per connection it keeps one word, its context (a pointer to one of three constant states), so
// a million idle connections cost the load generator nothing but its netcore Connection.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "chat_bench/options.hpp"
#include "netcore/connection.hpp"

namespace chat_bench {

class LoginWorker final : public netcore::ConnectionHandler {
  public:
    explicit LoginWorker(const CommonOptions& common, std::atomic<std::size_t>& next_index)
        : common_(common), next_index_(next_index) {}

    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;
    void set_stopping() { stopping_ = true; }

    std::uint64_t welcomed() const { return welcomed_.load(); }
    std::uint64_t refused() const { return refused_.load(); }
    // Closed by the server before stop(): before its WELCOME (shed), or after it (lost).
    std::uint64_t shed() const { return shed_.load(); }
    std::uint64_t lost() const { return lost_.load(); }
    std::string first_error() const;

  private:
    enum State : std::uint8_t { Waiting = 0, Welcomed = 1, Refused = 2 };
    static void set_state(netcore::Connection& conn, State state);
    static State state_of(const netcore::Connection& conn);
    void note(std::string text);

    const CommonOptions& common_;
    std::atomic<std::size_t>& next_index_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> welcomed_{0}, refused_{0}, shed_{0}, lost_{0};
    mutable std::mutex mutex_;
    std::string first_error_;
};

}  // namespace chat_bench
