#!/usr/bin/env python3
"""AWS emulator for the end-to-end tests: moto's server plus corrections. CLI and startup.

    python3 test-support/emulator/launcher.py [--host 127.0.0.1] [--port 0]
                                              [--throttle-rps R] [--page-size N] [--verbose]

When it listens it prints exactly one line, ``EMULATOR_READY http://HOST:PORT``,
to stdout. Point the AWS SDK's endpoint (AWS_ENDPOINT_URL) at that URL. SIGTERM
or SIGINT stops it with exit code 0, and so does its parent going away (a test
run killed before its cleanup leaves no emulator behind).

The modules next to this file do the work: server.py (keep-alive HTTP/1.1),
app.py (the WSGI middleware in front of moto 5.2.1), faults.py, control.py (the
/_emulator/ test endpoints) and one module per service. See README.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

MAX_PAGE_SIZE = 1000  # ListPipelines maxResults: "Valid Range: Minimum value of 1. Maximum value of 1000."
DEFAULT_PAGE_SIZE = 100  # ListPipelines page size when maxResults is omitted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="moto-based AWS emulator for the e2e tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--throttle-rps", type=float, default=None,
                        help="throttle every action to R requests/s per region (burst R)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE,
                        help="default ListPipelines page size (AWS: 100)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="answer every AWS call after this many milliseconds (AWS's round trip)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not 1 <= args.page_size <= MAX_PAGE_SIZE:
        parser.error(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")

    from app import build_app
    from server import make_server

    if not 0 <= args.latency_ms <= 10_000:
        parser.error("--latency-ms must be between 0 and 10000")
    app = build_app(args.page_size, args.throttle_rps, args.verbose, args.latency_ms)
    server = make_server(args.host, args.port, app, verbose=args.verbose)
    port = server.socket.getsockname()[1]
    shown_host = "127.0.0.1" if args.host in ("", "0.0.0.0", "::") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    sys.stdout.write(f"EMULATOR_READY http://{shown_host}:{port}\n")
    sys.stdout.flush()
    # Once the parent is gone the process is re-parented: stop then too.
    parent = os.getppid()
    while not stop.wait(0.5):
        if not thread.is_alive():
            return 1
        if os.getppid() != parent:
            break
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
