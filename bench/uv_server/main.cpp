// The libuv reference server, shaped like libuv's echo-server examples: uv_read_start with
// an alloc callback that mallocs each read buffer, and a uv_write with its own request and
// copied buffer for every frame sent (freed in the write callback). --batch instead gathers
// a read callback's replies into one uv_write per connection, as its echo example writes a
// whole read back at once. Speaks proto_lite's subset.
#include <uv.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "proto_lite.hpp"

namespace pl = proto_lite;

namespace {

struct Room;

struct Client {
    uv_tcp_t handle;
    std::uint32_t id = 0;
    std::string in;       // bytes of a frame not complete yet
    std::string pending;  // --batch: replies gathered during this read callback
    std::string nick;
    std::vector<Room*> rooms;
    bool closing = false;
    bool dirty = false;
};

struct Room {
    std::string name;
    std::vector<Client*> members;
    std::uint64_t next_seq = 1;
};

struct WriteReq {
    uv_write_t req;
    uv_buf_t buf;
};

uv_loop_t* loop;
std::map<std::string, Room, std::less<>> rooms;
std::vector<Client*> dirty_clients;  // --batch: clients with gathered replies
bool batch = false;
std::uint32_t next_id = 0;

void after_write(uv_write_t* req, int) {
    auto* w = reinterpret_cast<WriteReq*>(req);
    std::free(w->buf.base);
    delete w;
}

void write_now(Client* c, const char* p, std::size_t n) {
    auto* w = new WriteReq;
    w->buf = uv_buf_init(static_cast<char*>(std::malloc(n)), static_cast<unsigned>(n));
    std::memcpy(w->buf.base, p, n);
    uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->handle), &w->buf, 1, after_write);
}

void send_frame(Client* c, const std::string& frame) {
    if (c->closing) return;
    if (!batch) return write_now(c, frame.data(), frame.size());
    c->pending += frame;
    if (!c->dirty) {
        c->dirty = true;
        dirty_clients.push_back(c);
    }
}

void flush_batches() {
    for (Client* c : dirty_clients) {
        if (!c->closing) write_now(c, c->pending.data(), c->pending.size());
        c->pending.clear();
        c->dirty = false;
    }
    dirty_clients.clear();
}

void broadcast(Room& room, const std::string& frame) {
    for (Client* m : room.members) send_frame(m, frame);
}

void leave(Client* c, Room& room) {
    auto it = std::find(room.members.begin(), room.members.end(), c);
    if (it == room.members.end()) return;
    room.members.erase(it);
    broadcast(room, pl::room_event(room.name, 2, c->nick));
}

void on_close(uv_handle_t* handle) {
    delete static_cast<Client*>(handle->data);
}

void close_client(Client* c) {
    if (c->closing) return;
    for (Room* room : c->rooms) leave(c, *room);
    c->rooms.clear();
    c->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
}

void handle_frame(Client* c, std::uint16_t type, const char* frame, std::size_t size) {
    pl::Reader in(reinterpret_cast<const unsigned char*>(frame) + pl::kHeader, size - pl::kHeader);
    switch (type) {
        case pl::kHello: {
            in.u16();
            const auto name = in.str();
            if (!in.ok() || !c->nick.empty()) return;
            c->nick = std::string(name);
            return send_frame(c, pl::welcome(c->id, c->nick, "libuv"));
        }
        case pl::kJoin: {
            const auto name = in.str();
            if (!in.ok() || c->nick.empty()) return;
            auto it = rooms.find(name);
            if (it == rooms.end())
                it = rooms.emplace(std::string(name), Room{std::string(name), {}, 1}).first;
            Room& room = it->second;
            if (std::find(room.members.begin(), room.members.end(), c) != room.members.end())
                return;
            broadcast(room, pl::room_event(room.name, 1, c->nick));
            room.members.push_back(c);
            c->rooms.push_back(&room);
            std::vector<std::string_view> nicks;
            for (Client* m : room.members) nicks.push_back(m->nick);
            return send_frame(c, pl::joined(room.name, room.next_seq, nicks));
        }
        case pl::kSay: {
            const auto name = in.str();
            const auto text = in.str();
            if (!in.ok()) return;
            auto it = rooms.find(name);
            if (it == rooms.end()) return;
            Room& room = it->second;
            if (std::find(c->rooms.begin(), c->rooms.end(), &room) == c->rooms.end()) return;
            return broadcast(room, pl::message(room.name, room.next_seq++, c->nick, text));
        }
        case pl::kEcho:
            return send_frame(c, std::string(frame, size));
        case pl::kPing: {
            std::string pong(frame, size);
            pong[2] = static_cast<char>(pl::kPong);
            return send_frame(c, pong);
        }
        default:
            return;
    }
}

void alloc_buffer(uv_handle_t*, std::size_t suggested, uv_buf_t* buf) {
    buf->base = static_cast<char*>(std::malloc(suggested));
    buf->len = suggested;
}

// Splits `data` into frames; returns the bytes consumed (whole frames), or -1 on a bad size.
long consume(Client* c, const char* data, std::size_t n) {
    std::size_t pos = 0;
    while (n - pos >= pl::kHeader) {
        const auto* p = reinterpret_cast<const unsigned char*>(data + pos);
        const std::size_t size = pl::u16_at(p);
        if (size < pl::kHeader) return -1;
        if (n - pos < size) break;
        handle_frame(c, pl::u16_at(p + 2), data + pos, size);
        if (c->closing) break;
        pos += size;
    }
    return static_cast<long>(pos);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Client*>(stream->data);
    if (nread > 0) {
        long used;
        if (c->in.empty()) {
            used = consume(c, buf->base, static_cast<std::size_t>(nread));
            if (used >= 0) c->in.assign(buf->base + used, static_cast<std::size_t>(nread - used));
        } else {
            c->in.append(buf->base, static_cast<std::size_t>(nread));
            used = consume(c, c->in.data(), c->in.size());
            if (used >= 0) c->in.erase(0, static_cast<std::size_t>(used));
        }
        if (used < 0) close_client(c);
    } else if (nread < 0) {
        close_client(c);
    }
    std::free(buf->base);
    if (batch) flush_batches();
}

void on_new_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new Client;
    c->id = ++next_id;
    uv_tcp_init(loop, &c->handle);
    c->handle.data = c;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->handle)) == 0) {
        uv_tcp_nodelay(&c->handle, 1);  // as every netcore engine does
        uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), alloc_buffer, on_read);
    } else {
        c->closing = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), on_close);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string listen = "127.0.0.1";
    std::uint16_t port = 7777;
    if (!pl::parse_args(argc, argv, listen, port, &batch, "--batch")) return 2;
    std::signal(SIGPIPE, SIG_IGN);  // libuv writes with writev(): a closed peer must not kill us
    loop = uv_default_loop();
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    sockaddr_in addr{};
    uv_ip4_addr(listen.c_str(), port, &addr);
    uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (int r = uv_listen(reinterpret_cast<uv_stream_t*>(&server), 4096, on_new_connection)) {
        std::fprintf(stderr, "uv_chat_server: listen on %s:%u: %s\n", listen.c_str(), port,
                     uv_strerror(r));
        return 1;
    }
    sockaddr_in bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
    std::printf("listening on %s:%u engine=%s\n", listen.c_str(), ntohs(bound.sin_port),
                batch ? "libuv_batch" : "libuv");
    std::fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
