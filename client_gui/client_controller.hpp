// The client window's network side. netcore's client runs the connection on its engine
// thread; this controller's own thread carries out what the user asked for (connect, join,
// say...), keeps the timers (PING for the round-trip time, INFO_REQ for the server's engine,
// LIST_ROOMS for the member counts), reconnects with backoff, and publishes views of the
// chat for the UI. Anything that may block (a TCP connect) happens here, never on the UI.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "backoff.hpp"
#include "chat/client_session.hpp"
#include "client_model.hpp"
#include "netcore/client.hpp"
#include "netcore/tls.hpp"

namespace client_gui {

struct ControllerOptions {
    std::string engine;  // empty: netcore's default
    std::chrono::milliseconds ping_every{3000};
    std::chrono::milliseconds info_every{2000};
    std::chrono::milliseconds rooms_every{4000};
    std::chrono::milliseconds connect_timeout{3000};
    // Nothing heard for this long (PINGs go out every ping_every): the link is dead.
    std::chrono::milliseconds silence_limit{15000};
    std::chrono::milliseconds min_publish_gap{30};  // views at most ~33 per second
    Backoff backoff;
    // TLS (Connect::tls): the certificates to trust (PEM; empty: the system's store), or
    // no check at all (--insecure).
    std::string tls_ca;
    bool tls_insecure = false;
    // A refused certificate is not mended by trying again soon: a client that keeps trying
    // waits this long between TLS failures, not the backoff's seconds.
    std::chrono::milliseconds tls_retry{30000};
};

class ClientController final : private netcore::ConnectionHandler {
  public:
    // `wake` is called after each new view, so a UI sleeping in its event wait draws it.
    ClientController(ClientModel& model, std::function<void()> wake, ControllerOptions options);
    ~ClientController() override;
    ClientController(const ClientController&) = delete;
    ClientController& operator=(const ClientController&) = delete;

    void start();  // throws std::runtime_error when the engine cannot start
    void stop();   // says BYE when connected, closes, joins the thread

  private:
    using Clock = std::chrono::steady_clock;

    // ---- controller thread ----
    void run();
    void execute(Command& command, Clock::time_point now);
    void connect_now();
    void tick(Clock::time_point now);
    Clock::time_point next_deadline(Clock::time_point now) const;
    void publish(Clock::time_point now);

    // ---- engine thread ----
    void on_open(const netcore::ConnectionPtr& conn) override;
    std::size_t on_data(netcore::Connection& conn, std::span<const std::byte> data) override;
    void on_close(netcore::Connection& conn, netcore::CloseReason reason) override;

    // ---- either thread, with mutex_ held ----
    void attach(const netcore::ConnectionPtr& conn);
    void on_welcome();
    void on_refused();
    void on_broken_stream();
    void on_tls_failure(const std::string& error);
    void send(const chat::Bytes& frame);
    void drop_connection(const std::string& reason);
    void schedule_retry(const std::string& why,
                        std::optional<std::chrono::milliseconds> delay = std::nullopt);
    void note_error(const std::string& text);
    void changed();

    ClientModel& model_;
    std::function<void()> wake_;
    ControllerOptions options_;
    netcore::Client net_;
    std::thread thread_;
    // Made at the first TLS connect (controller thread), then shared by every connection.
    std::shared_ptr<netcore::TlsContext> tls_;

    mutable std::mutex mutex_;  // the controller thread and the engine thread
    chat::ClientSession session_;
    netcore::ConnectionPtr conn_;
    Link link_ = Link::Idle;
    Connect target_;
    bool has_target_ = false;
    bool welcomed_once_ = false;
    std::string problem_;
    int attempt_ = 0;
    int broken_streams_ = 0;  // connections in a row whose stream broke (reset by a PONG)
    Clock::time_point retry_at_{}, next_ping_{}, next_info_{}, next_rooms_{}, last_heard_{};
    std::string last_error_;
    std::uint64_t error_serial_ = 0;
    bool dirty_ = true;
    std::mt19937 rng_{std::random_device{}()};

    // Controller thread only: what the last view shared, to copy only what changed.
    std::uint64_t serial_ = 0;
    Clock::time_point last_publish_{};
    std::map<std::string, std::pair<std::uint64_t, std::shared_ptr<const chat::RoomView>>> rooms_;
    std::uint64_t whispers_seen_ = ~std::uint64_t{0};
    std::shared_ptr<const std::vector<chat::Whispered>> whispers_;
};

// A failed TCP connect in words for the user ("no chat server is listening at ...").
std::string explain_connect_error(const std::string& host, std::uint16_t port,
                                  const std::string& error);
// A failed TLS handshake in words for the user, with what to do about it.
std::string explain_tls_error(const std::string& host, std::uint16_t port,
                              const std::string& error);
// What --insecure leaves unchecked, said loudly.
std::string insecure_warning(const std::string& host);

}  // namespace client_gui
