#!/usr/bin/env bash
# Usage: rest-trace-proxy.sh <listen-port> <target-uri> <log-file> [--strip-top-level-nulls]
#
# A debugging aid: a tiny HTTP proxy on 127.0.0.1:<listen-port> that forwards
# every request to <target-uri> (e.g. http://127.0.0.1:8181) and appends each
# request and response (method, path, JSON bodies, status) to <log-file>.
# Point an engine's catalog URI at the proxy to see exactly what it sent and
# what the catalog answered - the quickest way to turn a Java stack trace in a
# Spark/RCK failure into a reproducible curl call. Runs in the foreground;
# stop it with Ctrl-C (or kill its pid).
#
# --strip-top-level-nulls removes top-level "key": null members from request
# bodies (Java clients send e.g. "location": null). It exists only to look
# past a known server bug to the next one; never use it to make tests pass.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 3 ]] || te_die "usage: $0 <listen-port> <target-uri> <log-file> [--strip-top-level-nulls]"
te_require_port_arg "$1"

exec python3 - "$@" <<'PY'
import http.server
import json
import sys
import threading
import urllib.error
import urllib.request

port, target, log_path = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
strip_nulls = "--strip-top-level-nulls" in sys.argv[4:]
lock = threading.Lock()
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if body and strip_nulls:
            try:
                doc = json.loads(body)
                if isinstance(doc, dict):
                    body = json.dumps({k: v for k, v in doc.items() if v is not None}).encode()
            except ValueError:
                pass
        req = urllib.request.Request(target + self.path, data=body, method=self.command)
        for key, value in self.headers.items():
            if key.lower() not in HOP_BY_HOP:
                req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                status, payload, headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, payload, headers = err.code, err.read(), err.headers
        except OSError as err:
            status, payload, headers = 502, f"proxy: {err}".encode(), {}
        with lock, open(log_path, "a", encoding="utf-8") as log:
            log.write(f">>> {self.command} {self.path}\n")
            if body:
                log.write(body.decode("utf-8", "replace") + "\n")
            log.write(f"<<< {status}\n{payload.decode('utf-8', 'replace')}\n\n")
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in HOP_BY_HOP | {"content-encoding"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = forward

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY
