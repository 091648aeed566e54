"""An HTTPS server on 127.0.0.1 for `pgverify bundle --update`'s tests.

  https_server.py CERT KEY DIR PORTFILE

Serves DIR's files at /NAME, and for the failure cases: /missing (404),
/html (200, an HTML error page), /big (5 MiB), /stall (answers after 30 s),
/to-http (a redirect to plain http://).  Writes its port to PORTFILE.
"""
import http.server
import os
import ssl
import sys
import time

cert, key, root, portfile = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/x-pem-file", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = self.path.lstrip("/")
        if name == "html":
            self.send(200, b"<html><body><h1>503 Service Unavailable</h1></body></html>\n", "text/html")
        elif name == "big":
            self.send(200, b"A" * (5 * 1024 * 1024))
        elif name == "stall":
            time.sleep(30)
            self.send(200, b"")
        elif name == "to-http":
            self.send(302, b"", extra=[("Location", "http://127.0.0.1:1/good.pem")])
        elif "/" not in name and os.path.isfile(os.path.join(root, name)):
            with open(os.path.join(root, name), "rb") as f:
                self.send(200, f.read())
        else:
            self.send(404, b"not found\n", "text/plain")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
