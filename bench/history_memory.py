#!/usr/bin/env python3
"""What full room histories cost a chat_server: its RSS before and after ROOMS rooms each
receive --history messages of TEXT bytes (then everyone leaves, so only the histories remain),
beside what the server counts against --history-memory (/stats history_bytes).

    bench/history_memory.py [--rooms 50] [--messages 1000] [--text 100] [--server build/bin/chat_server]
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time


def frame(msg_type, body):
    return struct.pack("<HH", 4 + len(body), msg_type) + body


def s(text):
    data = text.encode()
    return struct.pack("<H", len(data)) + data


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def drain(sock, counter, stop):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            continue
        if not data:
            return
        counter[0] += len(data)


def stats(server):
    server.stdin.write("/stats\n")
    server.stdin.flush()
    line = server.stdout.readline()
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rooms", type=int, default=50)
    ap.add_argument("--messages", type=int, default=1000, help="per room (also the server's --history)")
    ap.add_argument("--text", type=int, default=100, help="bytes of text per message")
    ap.add_argument("--server", default="build/bin/chat_server")
    args = ap.parse_args()

    server = subprocess.Popen(
        [args.server, "--port", "0", "--rate-limit", "0", "--log-level", "warn",
         "--history", str(args.messages), "--history-memory", "4GiB"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.split()[2].rsplit(":", 1)[1])
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        received, stop = [0], threading.Event()
        reader = threading.Thread(target=drain, args=(sock, received, stop))
        reader.start()
        sock.sendall(frame(0x0001, struct.pack("<H", 1) + s("meter") + s("")))
        time.sleep(0.3)
        before = rss_kib(server.pid)
        text = ("x" * args.text)
        for r in range(args.rooms):
            room = f"room{r}"
            batch = [frame(0x0010, s(room))]
            batch += [frame(0x0020, s(room) + s(text[:-6] + f"{i:06d}")) for i in range(args.messages)]
            batch.append(frame(0x0012, s(room)))  # leave: the room retires, its history stays
            sock.sendall(b"".join(batch))
        # Wait until every MESSAGE came back, so no output is still queued in the server.
        expected = args.rooms * args.messages
        deadline = time.time() + 120
        while time.time() < deadline:
            st = stats(server)
            if int(st.get("history_messages", 0)) >= expected and int(st.get("rooms", 1)) == 0:
                break
            time.sleep(0.2)
        time.sleep(1.0)
        after = rss_kib(server.pid)
        st = stats(server)
        stop.set()
        reader.join()
        sock.close()
        delta = after - before
        held = int(st["history_messages"])
        counted = int(st["history_bytes"])
        print(f"rooms={args.rooms} messages_per_room={args.messages} text_bytes={args.text}")
        print(f"history_messages={held} history_bytes_counted={counted} "
              f"({counted / held:.0f} B per message)")
        print(f"server_rss_before_kib={before} server_rss_after_kib={after} "
              f"rss_delta_kib={delta} ({delta * 1024 / held:.0f} B per message, "
              f"{delta / args.rooms / 1024:.2f} MiB per full room history)")
        return 0 if held == expected else 1
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
