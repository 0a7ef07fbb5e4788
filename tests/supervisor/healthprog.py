"""A small HTTP program to supervise in tests and in bench/bench_supervisor.py (stdlib only).

``GET /health`` answers ``{"status": "ok", "pid": ...}``; ``GET /exit?code=N`` exits at once;
``GET /hang`` stops the process (SIGSTOP), so it stays alive but never answers.  Options make
it die at start-up, start slowly, ignore SIGTERM, or fork a grandchild (which ignores SIGTERM
too) and write that pid to a file, for the "stop kills the whole group" test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/health":
            self._json(200, {"status": "ok", "pid": os.getpid()})
        elif url.path == "/exit":
            code = int(parse_qs(url.query).get("code", ["1"])[0])
            self._json(200, {"exiting": code})
            os._exit(code)
        elif url.path == "/hang":
            self._json(200, {"hanging": True})
            os.kill(os.getpid(), signal.SIGSTOP)
        else:
            self._json(404, {"error": "not found"})

    def _json(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("request " + format % args + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--exit-at-once", type=int, default=None, help="exit with this status")
    parser.add_argument("--start-delay", type=float, default=0.0)
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--grandchild-pidfile", default=None)
    parser.add_argument("--tag", default="", help="ignored; lets a test find its processes")
    args = parser.parse_args()
    print(f"healthprog pid {os.getpid()} starting", flush=True)
    if args.exit_at_once is not None:
        print("exiting at once", file=sys.stderr, flush=True)
        sys.exit(args.exit_at_once)
    if args.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.grandchild_pidfile:
        grandchild = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import signal, time\n"
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(600)",
            ]
        )
        with open(args.grandchild_pidfile, "w") as file:
            file.write(str(grandchild.pid))
    time.sleep(args.start_delay)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
