#!/usr/bin/env python3
"""A native TLS server (Python's ssl: OpenSSL) for the Windows build's Schannel client tests.

Wine's Schannel has no server side, so the Windows TlsSession client is tested against this
peer over 127.0.0.1. It listens on one port per kind, prints them on one line
("tls13=PORT tls12=PORT ...") and serves until its standard input closes or 300 s pass:
  tls13      server.pem, TLS 1.2 or 1.3: echoes every byte
  tls12      server.pem, TLS 1.2 only: says "welcome\\n" as soon as the handshake is done,
             then echoes
  expired    expired.pem (echo)       otherhost  otherhost.pem (echo)
  tls11      server.pem, TLS 1.0 or 1.1 only (echo): a client must refuse it
  dialer     plain TCP, role reversal: a line "PORT\n" makes the peer connect to
             127.0.0.1:PORT and play the TLS *server* there (server.pem, echo), so that an
             accepting netcore::Server can run a Schannel client session (Wine has no server)
Every echo connection answers a close_notify with its own (so a client sees a clean close
only if it sent one) and closes without one after an abrupt end.
  tests/support/tls_peer.py CERT_DIR
"""
import os
import socket
import ssl
import sys
import threading
import time
import warnings

KINDS = {
    "tls13": ("server", None, False),
    "tls12": ("server", ssl.TLSVersion.TLSv1_2, True),
    "expired": ("expired", None, False),
    "otherhost": ("otherhost", None, False),
    "tls11": ("server", ssl.TLSVersion.TLSv1_1, False),
}


def log(line):
    print("tls_peer: " + line, file=sys.stderr, flush=True)


def serve(conn, greet):
    conn.settimeout(60)
    try:
        if greet:
            conn.sendall(b"welcome\n")
        while True:
            data = conn.recv(65536)
            if not data:  # the client's close_notify (ragged EOFs raise instead)
                log("close_notify received, answering with ours")
                conn.unwrap()  # our close_notify back
                return
            conn.sendall(data)
    except (OSError, ssl.SSLError) as e:
        log("connection ended: %s" % e)
    finally:
        conn.close()


def accept_loop(listener, context, greet):
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        raw.settimeout(30)
        try:
            conn = context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
        except (OSError, ssl.SSLError) as e:
            log("handshake failed: %s" % e)  # a client that refused us, or spoke no TLS
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, greet), daemon=True).start()


def dial_loop(listener, context):
    while True:
        try:
            control, _ = listener.accept()
        except OSError:
            return
        with control:
            control.settimeout(10)
            try:
                port = int(control.makefile().readline())
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            except (OSError, ValueError) as e:
                log("dialer: %s" % e)
                continue
        raw.settimeout(30)
        try:
            conn = context.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
        except (OSError, ssl.SSLError) as e:
            log("dialer: handshake failed: %s" % e)
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, False), daemon=True).start()


def main():
    cert_dir = sys.argv[1]
    ports = []
    for kind, (name, max_version, greet) in KINDS.items():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if max_version == ssl.TLSVersion.TLSv1_1:
            # Old versions need OpenSSL's lowest security level (and Python warns about them).
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
        if max_version:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.maximum_version = max_version
        context.load_cert_chain(os.path.join(cert_dir, name + ".pem"),
                                os.path.join(cert_dir, name + ".key"))
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        ports.append("%s=%d" % (kind, listener.getsockname()[1]))
        threading.Thread(target=accept_loop, args=(listener, context, greet), daemon=True).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(os.path.join(cert_dir, "server.pem"),
                            os.path.join(cert_dir, "server.key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    ports.append("dialer=%d" % listener.getsockname()[1])
    threading.Thread(target=dial_loop, args=(listener, context), daemon=True).start()
    print(" ".join(ports), flush=True)
    deadline = time.monotonic() + 300
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while time.monotonic() < deadline:
        time.sleep(1)
    os._exit(0)


if __name__ == "__main__":
    main()
