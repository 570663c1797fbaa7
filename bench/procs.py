"""Processes the benchmarks and drills run: gunicorn on a port that survives a restart,
service workers that a supervisor restarts when they die, and their memory (RSS from /proc)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import requests

from tests.processes import REPO, VENV_BIN, Process, WorkerProcess, free_port

GUNICORN_CONFIG = REPO / "deploy" / "gunicorn.conf.py"
DEFAULT_WEB_WORKERS = (os.cpu_count() or 2) * 2 + 1  # deploy/gunicorn.conf.py's own default


class Web(Process):
    """`gunicorn APP_SPEC` with the project's gunicorn.conf.py; restarts keep the port."""

    def __init__(
        self,
        app_spec: str,
        environ: dict,
        log_dir: Path,
        *,
        workers: int = DEFAULT_WEB_WORKERS,
        port: int | None = None,
        name: str = "web",
    ):
        self.port = port or free_port()
        self.app_spec = app_spec
        command = [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{self.port}", app_spec]
        super().__init__(command, {**environ, "WEB_CONCURRENCY": str(workers)}, log_dir / f"{name}-{self.port}.log")
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60, *, under_load: bool = False) -> Web:
        """Start and wait until /healthz answers; `under_load`: until the port accepts (a
        restart mid-drill, when the workers are busy with the clients' retries)."""
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if under_load and _accepts(self.port) or not under_load and _healthy(self.base_url):
                return self
            if not self.running():
                break
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.app_spec} did not start:\n{self.log()[-3000:]}")

    def worker_pids(self) -> list[int]:
        return children(self.popen.pid) if self.running() else []


def _healthy(base_url: str) -> bool:
    try:
        return requests.get(base_url + "/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def service_web(service: str, environ: dict, log_dir: Path, **options) -> Web:
    return Web(f"services.{service}.app:create_app()", environ, log_dir, name=f"{service}-web", **options)


def service_worker(service: str, environ: dict, log_dir: Path) -> WorkerProcess:
    return WorkerProcess(f"services.{service}.worker", environ, log_dir)


class Supervisor:
    """Restarts workers that exit, as Kubernetes or systemd would; counts the restarts."""

    def __init__(self, interval: float = 0.5):
        self.watched: dict[str, WorkerProcess] = {}
        self.restarts: dict[str, int] = {}
        self._paused: set[str] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, args=(interval,), daemon=True)
        self._thread.start()

    def add(self, name: str, process: WorkerProcess) -> WorkerProcess:
        with self._lock:
            self.watched[name] = process.start() if not process.running() else process
            self.restarts.setdefault(name, 0)
            self._paused.discard(name)
        return process

    def kill(self, name: str) -> None:
        """SIGKILL a worker and leave it down until `revive` (a drill's crash)."""
        with self._lock:
            self._paused.add(name)
            self.watched[name].kill()

    def revive(self, name: str) -> None:
        with self._lock:
            self.watched[name].start()
            self._paused.discard(name)

    def remove(self, name: str, *, graceful: bool = True) -> None:
        with self._lock:
            process = self.watched.pop(name)
        process.stop() if graceful else process.kill()

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                for name, process in self.watched.items():
                    if name not in self._paused and not process.running():
                        self.restarts[name] += 1
                        process.start()

    def stop_all(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for process in self.watched.values():
            process.stop()

    def logs(self) -> dict[str, str]:
        return {name: process.log()[-3000:] for name, process in self.watched.items()}


def children(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn's workers of its arbiter)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb(pid: int) -> float | None:
    """Resident set size of one process in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class MemorySampler:
    """Samples the RSS of named processes on a thread: the first sample (at rest) and the peak."""

    def __init__(self, targets: dict[str, int], interval: float = 0.25):
        self.targets = targets
        self.rest: dict[str, float] = {name: rss_mb(pid) for name, pid in targets.items()}
        self.peak: dict[str, float] = dict(self.rest)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            for name, pid in self.targets.items():
                value = rss_mb(pid)
                if value is not None:
                    self.peak[name] = max(self.peak.get(name) or 0.0, value)

    def summary(self) -> dict[str, dict]:
        return {
            name: {"rest_mb": _round(self.rest.get(name)), "load_mb": _round(self.peak.get(name))}
            for name in self.targets
        }


def web_targets(web: Web, label: str) -> dict[str, int]:
    targets = {f"{label} arbiter": web.popen.pid}
    targets.update({f"{label} worker {n}": pid for n, pid in enumerate(sorted(web.worker_pids()), start=1)})
    return targets


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
