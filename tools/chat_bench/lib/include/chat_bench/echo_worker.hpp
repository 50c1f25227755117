// The pingpong connection handler of one worker: answers each echoed frame with a new one,
// so every connection keeps its D frames in flight, and records round-trip times.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "chat_bench/histogram_set.hpp"
#include "chat_bench/wire.hpp"
#include "netcore/connection.hpp"

namespace chat_bench {

class EchoWorker final : public netcore::ConnectionHandler {
  public:
    EchoWorker(std::size_t depth, std::size_t frame_bytes);

    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;

    // Makes the HELLO to send first on each new connection. Set before connecting.
    void set_greeting(std::function<Bytes()> make) { greeting_ = std::move(make); }
    void set_recording(bool on) { recording_.store(on, std::memory_order_relaxed); }
    void set_stopping() { stopping_.store(true, std::memory_order_relaxed); }

    std::uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }
    std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    std::uint64_t opened() const { return opened_.load(std::memory_order_relaxed); }
    std::uint64_t unexpected_closes() const { return lost_.load(std::memory_order_relaxed); }
    std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
    std::string first_error() const;
    // Only after the fleet has stopped.
    LatencyHistogram histogram() const { return histograms_.merged(); }

  private:
    void append_echo(Bytes& out, std::uint64_t now);
    void note_error(std::string text);

    const std::size_t depth_;
    const std::size_t frame_bytes_;
    std::function<Bytes()> greeting_;
    HistogramSet histograms_;
    std::atomic<bool> recording_{false}, stopping_{false};
    std::atomic<std::uint64_t> frames_{0}, bytes_{0}, opened_{0}, lost_{0}, errors_{0};
    mutable std::mutex error_mutex_;
    std::string first_error_;
};

}  // namespace chat_bench
