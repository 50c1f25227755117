// The admin channel as an operator uses it: chat_server --admin-socket PATH, and
// chat_server --cli COMMAND against it (as redis-cli), with real processes and Unix sockets.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "server_under_test.hpp"
#include "test_client.hpp"

using namespace testing_support;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A directory of its own per test (the socket's path stays well under 108 bytes).
struct TempDir {
    std::string path;
    TempDir() {
        char pattern[] = "/tmp/netchat_admin_XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

struct Outcome {
    int status = -1;
    std::string output;  // stdout and stderr
};

Outcome cli(const std::string& socket, const std::vector<std::string>& command) {
    std::vector<std::string> args = {"--cli", "--admin-socket", socket};
    args.insert(args.end(), command.begin(), command.end());
    Outcome r;
    r.status = run_capture(kServer, with_prefix(args), r.output);
    return r;
}

bool wait_for_file(const std::string& path, bool present) {
    for (int i = 0; i < 200; ++i) {
        struct stat st {};
        if ((::lstat(path.c_str(), &st) == 0) == present) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

// A raw client of the admin socket, to do what --cli never does (hold on, flood, never read).
class RawAdmin {
  public:
    explicit RawAdmin(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot connect to " + path + ": " + std::strerror(errno));
    }
    ~RawAdmin() { ::close(fd_); }
    void send(const std::string& text) {
        for (std::size_t sent = 0; sent < text.size();) {
            const auto n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("admin socket closed while sending");
            sent += static_cast<std::size_t>(n);
        }
    }
    // Sends as much as goes without blocking; returns how much did.
    std::size_t send_some(const std::string& text) {
        const auto n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    // The next line, or nullopt at the end of the stream or after `timeout`.
    std::optional<std::string> line(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string out = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return out;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd pfd{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
                return std::nullopt;
            char chunk[65536];
            const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return std::nullopt;
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }
    // True once the server closed the connection (what it sent before is read and dropped).
    bool closed_within(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char chunk[65536];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, 50) <= 0) continue;
            const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n == 0) return true;
            if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
        }
        return false;
    }

  private:
    int fd_ = -1;
    std::string buf_;
};

// A socket file that nobody listens on any more: what a crashed server leaves behind.
void make_stale_socket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
}

class AdminSocketTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (kForeign) GTEST_SKIP() << "no admin socket in the Windows build (see IsRefused...)";
    }
    TempDir dir;
    std::string socket = dir.path + "/admin.sock";
};

TEST_F(AdminSocketTest, CliCarriesOutEveryCommandAndExitsByTheAnswer) {
    const auto engines = engine_list();
    ServerProcess server(
        kServer,
        with_prefix({"--port", "0", "--admin-socket", socket, "--engine", engines.front()}),
        dir.path + "/server.log");
    const std::uint16_t port = server.wait_listening();
    ASSERT_NE(port, 0);
    struct stat st {};
    ASSERT_EQ(::lstat(socket.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << std::oct << (st.st_mode & 0777);

    TestClient ada(port), bob(port);
    ada.login("ada");
    bob.login("bob");
    ada.join("lobby");

    Outcome r = cli(socket, {"stats"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "sessions=2")) << r.output;
    EXPECT_TRUE(contains(r.output, "engine=" + engines.front())) << r.output;

    r = cli(socket, {"/notice", "maintenance at 5"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "notice sent\n");
    EXPECT_EQ(ada.expect<chat::Notice>().text, "maintenance at 5");
    EXPECT_EQ(bob.expect<chat::Notice>().text, "maintenance at 5");

    r = cli(socket, {"kick", "bob", "too", "loud"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "kicked bob\n");
    EXPECT_EQ(bob.expect<chat::Bye>().reason, "kicked: too loud");

    // A live switch to every other engine, ada served after each.
    for (const auto& engine : engines) {
        r = cli(socket, {"engine", engine});
        EXPECT_EQ(r.status, 0) << r.output;
        EXPECT_EQ(r.output, "engine " + engine + "\n");
        ada.send(chat::Say{"lobby", "on " + engine});
        EXPECT_EQ(ada.expect<chat::Message>().text, "on " + engine);
    }

    // Refused commands: exit status 1 and the reason.
    r = cli(socket, {"kick", "nobody"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.output, "error: no user nobody\n");
    r = cli(socket, {"engine", "no_such_engine"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, "error: unknown engine 'no_such_engine'")) << r.output;
    r = cli(socket, {"bogus"});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, "error: unknown command '/bogus' (try /help)")) << r.output;
    r = cli(socket, {"help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.output, "/kick NICK")) << r.output;
    r = cli(socket, {"rehash"});
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(contains(r.output, "reloaded")) << r.output;

    // Several commands from stdin on one connection, one answer each.
    r = {};
    r.status = run_capture("sh",
                           {"-c",
                            "printf 'stats\\n\\n/engine\\nkick nobody\\n' | \"$0\" --cli "
                            "--admin-socket \"$1\"",
                            kServer, socket},
                           r.output);
    EXPECT_EQ(r.status, 1) << r.output;  // one of them was refused
    EXPECT_TRUE(contains(r.output, "engine=" + engines.back() + " sessions=")) << r.output;
    EXPECT_TRUE(contains(r.output, "\nengine " + engines.back() + " (usage: /engine NAME)\n"))
        << r.output;
    EXPECT_TRUE(contains(r.output, "\nerror: no user nobody\n")) << r.output;

    r = cli(socket, {"quit"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.output, "shutting down\n");
    EXPECT_EQ(ada.expect<chat::Bye>().reason, "server shutting down");
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_TRUE(wait_for_file(socket, false)) << "the socket is removed at exit";
    const std::string log = file_text(dir.path + "/server.log");
    EXPECT_TRUE(contains(log, "operator (admin socket, pid ")) << log;
    EXPECT_TRUE(contains(log, "): /kick bob too loud")) << log;
}

TEST_F(AdminSocketTest, CliSaysWhyWhenNoServerAnswers) {
    Outcome r = cli(socket, {"stats"});
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.output, "no admin socket at " + socket)) << r.output;

    make_stale_socket(socket);
    r = cli(socket, {"stats"});
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.output, "nobody answers on " + socket)) << r.output;
    ::unlink(socket.c_str());

    r = cli(socket, {"--timeout", "nan", "stats"});
    EXPECT_EQ(r.status, 2);
    EXPECT_TRUE(contains(r.output, "--timeout")) << r.output;
    r = cli(socket, {"--help"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(contains(r.output, "Exit status")) << r.output;

    // Permission denied: the socket is its owner's only (mode 0600). Root may open anything,
    // so the client then runs as nobody.
    ServerProcess server(kServer, with_prefix({"--port", "0", "--admin-socket", socket}));
    ASSERT_NE(server.wait_listening(), 0);
    if (::geteuid() == 0) {
        ::chmod(dir.path.c_str(), 0755);  // nobody may reach the socket, not open it
        r = {};
        r.status = run_capture("setpriv",
                               {"--reuid=65534", "--regid=65534", "--clear-groups", kServer,
                                "--cli", "--admin-socket", socket, "stats"},
                               r.output);
    } else {
        ::chmod(socket.c_str(), 0);
        r = cli(socket, {"stats"});
    }
    EXPECT_EQ(r.status, 3);
    EXPECT_TRUE(contains(r.output, "permission denied on " + socket)) << r.output;
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_TRUE(wait_for_file(socket, false));
}

// systemd's RuntimeDirectory= sets RUNTIME_DIRECTORY: the server's socket and --cli's default
// meet there with no option given (the packaged unit relies on it).
TEST_F(AdminSocketTest, UnderSystemdItIsInTheRuntimeDirectoryByDefault) {
    const std::string env = "RUNTIME_DIRECTORY=" + dir.path;
    ServerProcess server(kServer, with_prefix({"--port", "0"}), SpawnOptions{"", {env}, 0});
    ASSERT_NE(server.wait_listening(), 0);
    EXPECT_TRUE(wait_for_file(socket, true));
    std::string output;
    EXPECT_EQ(run_capture(kServer, with_prefix({"--cli", "stats"}), output, {env}), 0) << output;
    EXPECT_TRUE(contains(output, "sessions=0")) << output;
    output.clear();
    run_capture(kServer, with_prefix({"--check-config"}), output, {env});
    EXPECT_TRUE(contains(output, "admin-socket = \"" + socket + "\"")) << output;
    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_TRUE(wait_for_file(socket, false));
}

TEST_F(AdminSocketTest, IsCreatedSafely) {
    const auto start = [&](const std::string& path, Outcome& r) {
        r.status =
            run_capture(kServer, with_prefix({"--port", "0", "--admin-socket", path}), r.output);
    };
    // A symbolic link, a file: never followed or replaced.
    const std::string target = dir.path + "/target";
    ::symlink(target.c_str(), socket.c_str());
    Outcome r;
    start(socket, r);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, socket + " is a symbolic link; refusing to follow it"))
        << r.output;
    struct stat st {};
    EXPECT_NE(::lstat(target.c_str(), &st), 0) << "nothing was made through the link";
    ::unlink(socket.c_str());

    { std::ofstream(socket) << "precious\n"; }
    r = {};
    start(socket, r);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, "exists and is not a socket; refusing to replace it"))
        << r.output;
    EXPECT_EQ(file_text(socket), "precious\n");
    ::unlink(socket.c_str());

    r = {};
    start(dir.path + "/missing/admin.sock", r);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, "its directory does not exist")) << r.output;

    r = {};
    start(dir.path + "/" + std::string(120, 'x'), r);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_TRUE(contains(r.output, "a socket path is 1..107 bytes")) << r.output;

    // A stale socket (a crashed server's) is replaced; a live one is not taken over.
    make_stale_socket(socket);
    ServerProcess first(kServer, with_prefix({"--port", "0", "--admin-socket", socket}),
                        dir.path + "/first.log");
    ASSERT_NE(first.wait_listening(), 0);
    EXPECT_TRUE(contains(file_text(dir.path + "/first.log"), "replaced a stale socket"));
    EXPECT_EQ(cli(socket, {"stats"}).status, 0);
    r = {};
    start(socket, r);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.output, "another server is answering on it")) << r.output;
    EXPECT_EQ(cli(socket, {"stats"}).status, 0) << "the first server keeps its socket";
    first.signal(kStopSignal);
    EXPECT_EQ(first.wait_exit(), 0);
    EXPECT_TRUE(wait_for_file(socket, false));
}

TEST_F(AdminSocketTest, ServesSeveralClientsAtOnceAndIsBounded) {
    ServerProcess server(kServer, with_prefix({"--port", "0", "--admin-socket", socket}),
                         dir.path + "/server.log");
    ASSERT_NE(server.wait_listening(), 0);

    // Three clients interleaved, each answered in its own order.
    RawAdmin a(socket), b(socket), c(socket);
    a.send("/engine\n");
    b.send("/kick nobody\n");
    c.send("/stats\n/help\n");
    EXPECT_TRUE(contains(b.line().value_or(""), "error: no user nobody"));
    EXPECT_TRUE(contains(a.line().value_or(""), "engine "));
    EXPECT_TRUE(contains(c.line().value_or(""), "sessions=0"));
    EXPECT_TRUE(contains(c.line().value_or(""), "commands:"));

    // A client that sends commands and never reads the answers: the server keeps answering
    // the others and drops it once its unread answers pass the bound.
    RawAdmin greedy(socket);
    std::string flood;
    for (int i = 0; i < 2000; ++i) flood += "/stats\n";
    std::size_t pushed = 0;
    const auto until = std::chrono::steady_clock::now() + 10s;
    bool dropped = false;
    while (!dropped && std::chrono::steady_clock::now() < until) {
        pushed += greedy.send_some(flood);
        a.send("/engine\n");
        const auto answer = a.line(2s);
        ASSERT_TRUE(answer.has_value()) << "the others wait on a client that never reads";
        EXPECT_TRUE(contains(*answer, "engine ")) << *answer;
        dropped = contains(file_text(dir.path + "/server.log"), "does not read its answers");
    }
    EXPECT_TRUE(dropped) << pushed << " bytes of commands sent, never dropped";
    EXPECT_TRUE(greedy.closed_within(5s));

    // A line longer than the limit: told why, then closed.
    RawAdmin long_line(socket);
    long_line.send(std::string(5000, 'x'));
    EXPECT_EQ(long_line.line().value_or(""), "error: a command is at most 4096 bytes; closing");
    EXPECT_TRUE(long_line.closed_within(5s));

    // At most 16 at once: the next is told so and closed; a place frees when one leaves.
    std::vector<std::unique_ptr<RawAdmin>> crowd;
    for (int i = 0; i < 13; ++i) crowd.push_back(std::make_unique<RawAdmin>(socket));  // +a,b,c
    for (auto& one : crowd) {  // each is accepted and served before the next test
        one->send("/engine\n");
        ASSERT_TRUE(one->line().has_value());
    }
    RawAdmin extra(socket);
    EXPECT_EQ(extra.line().value_or(""),
              "error: the admin socket serves 16 clients at once; try again later");
    EXPECT_TRUE(extra.closed_within(5s));
    crowd.pop_back();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(cli(socket, {"stats"}).status, 0);

    server.signal(kStopSignal);
    EXPECT_EQ(server.wait_exit(), 0);
}

TEST(AdminSocketWindows, IsRefusedWithTheReason) {
    if (!kForeign) GTEST_SKIP() << "the Windows build's answer (run with CHAT_SERVER_CMD)";
    std::string output;
    EXPECT_EQ(
        run_capture(kServer, with_prefix({"--port", "0", "--admin-socket", "x.sock"}), output), 2);
    EXPECT_TRUE(contains(output, "--admin-socket x.sock: not available in the Windows build"))
        << output;
    output.clear();
    EXPECT_EQ(run_capture(kServer, with_prefix({"--cli", "stats"}), output), 2);
    EXPECT_TRUE(contains(output, "not available in the Windows build")) << output;
}

}  // namespace
