"""Rebuild feedback's running aggregates from the stored answers and attendance
(usecases.rebuild), after a fix to how figures are filed or after loading answers in bulk:
`python -m services.feedback.rebuild`."""

from __future__ import annotations

from services.feedback.usecases import rebuild as rebuilding


def rebuild(runtime) -> dict:
    with runtime.db.transaction() as conn:
        return rebuilding.rebuild(runtime.unit(conn))


if __name__ == "__main__":
    from services.feedback.app import build_runtime

    print(rebuild(build_runtime()))
