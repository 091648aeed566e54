"""A syslog listener for the tests: receives datagrams on a Unix socket and
appends each to a file, one per line, until killed.

  syslog_listen.py SOCKET OUT
"""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", encoding="utf-8") as f:
    f.write("")
    f.flush()
    open(out + ".ready", "w").close()
    while True:
        data = s.recv(65536).decode("utf-8", "replace")
        f.write(data.replace("\n", " ").rstrip("\0") + "\n")
        f.flush()
