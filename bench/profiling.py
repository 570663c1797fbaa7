"""Where the time goes, with pyinstrument (a sampling profiler): a WSGI wrapper that profiles
each request of a gunicorn worker, a context manager for a loop in a process's main thread,
and the top frames of the saved sessions for the results JSON.

pyinstrument is pinned in requirements.txt with the test tools.
"""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.session import Session

REPO = str(Path(__file__).resolve().parent.parent) + "/"
APPLICATION_DIRS = ("services/", "shared/")
INTERVAL = 0.0005


def available() -> bool:
    return Profiler is not None


class ProfiledWsgi:
    """Profiles every request of this worker process and saves the combined session now and then."""

    def __init__(self, app, folder: Path):
        self.app = app
        self.folder = folder
        self.profiler = None
        self.saved_at = time.monotonic()

    def __call__(self, environ, start_response):
        if self.profiler is None:
            self.profiler = Profiler(interval=INTERVAL, async_mode="disabled")
        self.profiler.start()
        try:
            return list(self.app(environ, start_response))
        finally:
            self.profiler.stop()
            if time.monotonic() - self.saved_at > 1.0:
                self.profiler.last_session.save(self.folder / f"web-{os.getpid()}.pyisession")
                self.saved_at = time.monotonic()


def service_app(service: str):
    """`gunicorn 'bench.profiling:service_app("enrolment")'`, sessions saved in BENCH_PROFILE_DIR."""
    from services.registry import declaration

    folder = Path(os.environ["BENCH_PROFILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return ProfiledWsgi(declaration(service).create_app(), folder)


@contextmanager
def profiled(folder: Path | None, name: str):
    """Profile the block (the calling thread only) and save the session in `folder`, if given."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=INTERVAL, async_mode="disabled")
    profiler.start()
    try:
        yield
    finally:
        session = profiler.stop()
        session.save(folder / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:4]}.pyisession")


def top_frames(folder: Path, limit: int = 12) -> dict:
    """The functions with the most own time, and the project's functions with the most time
    inside them (callees included), as shares of all samples in the folder's sessions."""
    sessions = [Session.load(path) for path in sorted(folder.glob("*.pyisession"))]
    if not sessions:
        return {"skipped": "no samples were recorded"}
    combined = sessions[0]
    for session in sessions[1:]:
        combined = Session.combine(combined, session)
    root = combined.root_frame()
    if root is None or root.time <= 0:
        return {"skipped": "no samples were recorded"}
    own: dict[str, float] = {}
    inside: dict[str, float] = {}
    own_by_caller: dict[str, float] = {}
    _walk(root, own, inside, own_by_caller, frozenset(), "")
    total = root.time

    def ranked(table: dict, keep=lambda name: True) -> list[dict]:
        best = sorted(((t, n) for n, t in table.items() if keep(n)), reverse=True)[:limit]
        return [{"frame": name, "seconds": round(t, 3), "share": round(t / total, 3)} for t, name in best]

    return {
        "sampled_seconds": round(total, 2),
        "top_self": ranked(own),
        "top_self_by_application_caller": ranked(own_by_caller),
        "top_application_cumulative": ranked(inside, _is_application),
    }


def _is_application(name: str) -> bool:
    return any(f" {folder}" in name for folder in APPLICATION_DIRS)


def _walk(frame, own: dict, inside: dict, own_by_caller: dict, on_path: frozenset, caller: str) -> None:
    if frame.is_synthetic:
        return
    name = _name(frame)
    own[name] = own.get(name, 0.0) + frame.total_self_time
    via = f"{name} <- {caller}" if caller and not _is_application(name) else name
    own_by_caller[via] = own_by_caller.get(via, 0.0) + frame.total_self_time
    if name not in on_path:  # recursion: count a function's time once per stack
        inside[name] = inside.get(name, 0.0) + frame.time
    for child in frame.children:
        _walk(child, own, inside, own_by_caller, on_path | {name}, name if _is_application(name) else caller)


def _name(frame) -> str:
    path = frame.file_path or "?"
    if path.startswith(REPO):
        path = path[len(REPO) :]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{frame.function} {path}:{frame.line_no}"
