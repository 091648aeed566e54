#!/usr/bin/env python3
"""clienthello.py PORTFILE [--postgres]: accept one connection on
127.0.0.1 (the port written to PORTFILE), answer a PostgreSQL SSLRequest
with 'S' when --postgres, read the TLS ClientHello and print, one line
each, the groups it supports and the groups it sends key shares for, by
their TLS names; then close (the client's handshake fails)."""
import socket
import struct
import sys

NAMES = {0x0017: "secp256r1", 0x0018: "secp384r1", 0x0019: "secp521r1",
         0x001d: "x25519", 0x001e: "x448", 0x0100: "ffdhe2048",
         0x0101: "ffdhe3072", 0x0102: "ffdhe4096", 0x0103: "ffdhe6144",
         0x0104: "ffdhe8192", 0x11ec: "X25519MLKEM768"}


def name(g):
    return NAMES.get(g, "0x%04x" % g)


def read(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError("the client closed the connection")
        data += chunk
    return data


def client_hello(conn):
    """The handshake message of the first TLS record(s)."""
    body = b""
    while len(body) < 4 or len(body) < 4 + int.from_bytes(body[1:4], "big"):
        kind, _, length = struct.unpack("!BHH", read(conn, 5))
        if kind != 22:
            raise ValueError("not a TLS handshake record")
        body += read(conn, length)
    if body[0] != 1:
        raise ValueError("not a ClientHello")
    return body[4:4 + int.from_bytes(body[1:4], "big")]


def extensions(hello):
    at = 2 + 32
    at += 1 + hello[at]                                   # session id
    at += 2 + int.from_bytes(hello[at:at + 2], "big")     # cipher suites
    at += 1 + hello[at]                                   # compression
    end = at + 2 + int.from_bytes(hello[at:at + 2], "big")
    at += 2
    while at < end:
        kind, length = struct.unpack("!HH", hello[at:at + 4])
        yield kind, hello[at + 4:at + 4 + length]
        at += 4 + length


def main():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    srv.settimeout(30)
    conn, _ = srv.accept()
    conn.settimeout(30)
    if "--postgres" in sys.argv:
        length, code = struct.unpack("!II", read(conn, 8))
        if code != 80877103:
            raise ValueError("not an SSLRequest")
        conn.sendall(b"S")
    for kind, data in extensions(client_hello(conn)):
        if kind == 0x000a:
            groups = [int.from_bytes(data[i:i + 2], "big") for i in range(2, len(data), 2)]
            print("groups:", " ".join(name(g) for g in groups))
        elif kind == 0x0033:
            shares, at = [], 2
            while at < len(data):
                g, n = struct.unpack("!HH", data[at:at + 4])
                shares.append(name(g))
                at += 4 + n
            print("key shares:", " ".join(shares))
    conn.close()


main()
