"""Real Convene processes for tests that need them: gunicorn web processes and workers that
can be killed with SIGKILL and restarted, exactly as in production."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process with its output in a log file; stop() or kill() ends it."""

    def __init__(self, command: list[str], environ: dict, log_path: Path):
        self.command = command
        self.environ = {**os.environ, **environ, "PYTHONPATH": str(REPO)}
        self.log_path = log_path
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            self.command, cwd=REPO, env=self.environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, as in a crash."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class WebProcess(Process):
    """`gunicorn 'services.<service>.app:create_app()'` on a free port."""

    def __init__(self, service: str, environ: dict, log_dir: Path, *, workers: int = 3, app: str | None = None):
        """`app`: another application than the service's (`module:factory()`), e.g. the identity provider."""
        self.port = free_port()
        command = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(REPO / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            app or f"services.{service}.app:create_app()",
        ]
        super().__init__(
            command, {**environ, "WEB_CONCURRENCY": str(workers)}, log_dir / f"{service}-web-{self.port}.log"
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> WebProcess:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base_url + "/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if not self.running():
                break
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start:\n{self.log()[-3000:]}")


class WorkerProcess(Process):
    """`python -m <module>`: a service's worker, or a test's own worker script."""

    def __init__(self, module: str, environ: dict, log_dir: Path, *, args: list[str] | None = None):
        super().__init__(
            [sys.executable, "-m", module, *(args or [])],
            environ,
            log_dir / f"{module.rsplit('.', 1)[-1]}-{time.monotonic_ns()}.log",
        )
