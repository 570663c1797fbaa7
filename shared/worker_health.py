"""Liveness of a worker process: the heartbeats of its loops, and the small HTTP server that
answers /healthz with them beside /metrics (Prometheus) on WORKER_METRICS_PORT.

Each loop calls beat() once per iteration, whether or not it had work. A loop that has not
beaten for WORKER_STALL_SECONDS is stalled (stuck in a call that never returns, deadlocked),
and /healthz answers 503 naming it, so the orchestrator restarts the worker. A broker outage
does not stall a loop: its iterations fail, wait and retry, and each one still beats.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import Gauge

from shared import metrics

log = logging.getLogger(__name__)
SINCE_PROGRESS = Gauge(
    "convene_worker_loop_seconds_since_progress",
    "Seconds since a worker loop last completed an iteration.",
    ["service", "loop"],
    multiprocess_mode="max",
)


class Heartbeats:
    """When each watched loop last completed an iteration (monotonic clock)."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._last: dict[str, float] = {}

    def watch(self, loop: str) -> None:
        """Start watching `loop`; its start counts as its first beat."""
        self._last[loop] = self._clock()

    def beat(self, loop: str) -> None:
        if loop in self._last:  # loops nobody watches (a test's own threads) are not tracked
            self._last[loop] = self._clock()

    def ages(self) -> dict[str, float]:
        now = self._clock()
        return {loop: round(now - last, 3) for loop, last in dict(self._last).items()}

    def stalled(self, window_seconds: float) -> list[str]:
        return sorted(loop for loop, age in self.ages().items() if age > window_seconds)


LOOPS = Heartbeats()


def beat() -> None:
    """Called by a worker loop once per iteration. The loop is known by its thread's name, which
    shared.worker gives each loop, so the relay and consumer need no handle to pass around."""
    LOOPS.beat(threading.current_thread().name)


def health(heartbeats: Heartbeats, window_seconds: float, service: str) -> tuple[int, dict]:
    ages = heartbeats.ages()
    for loop, age in ages.items():
        SINCE_PROGRESS.labels(service, loop).set(age)
    stalled = heartbeats.stalled(window_seconds)
    if stalled:
        log.warning("worker loop stalled", extra={"error": ", ".join(stalled)})
        return 503, {
            "status": "stalled",
            "stalled": stalled,
            "window_seconds": window_seconds,
            "seconds_since_progress": ages,
        }
    return 200, {"status": "alive", "window_seconds": window_seconds, "seconds_since_progress": ages}


def serve(
    port: int, heartbeats: Heartbeats, window_seconds: float, service: str, host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    """Serve /healthz and /metrics on a daemon thread; returns the server (shutdown() stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                status, document = health(heartbeats, window_seconds, service)
                self._answer(status, json.dumps(document).encode(), "application/json")
            elif path == "/metrics":
                health(heartbeats, window_seconds, service)  # refreshes the progress gauges
                body, content_type = metrics.exposition()
                self._answer(200, body, content_type)
            else:
                self._answer(404, b'{"status": "not found"}', "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):  # probes every few seconds would flood the log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    log.info(f"worker health and metrics served on port {port}")
    return server
