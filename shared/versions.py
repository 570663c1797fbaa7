"""Optimistic concurrency: a change names the version of the object it read (HTTP: If-Match,
the ETag it was given), and the use case that reads the current version refuses a missing or
stale one. Here, not in shared.api, so that use cases can check it without the HTTP layer."""

from __future__ import annotations

from shared.problems import Problem


def etag(version: int) -> str:
    return f'W/"{version}"'


def require_version(supplied: str | None, version: int) -> None:
    """Refuse a change that names no version (428) or another than `version` (412). `supplied`
    is the If-Match value as sent: the ETag, the bare quoted version, or "*" (any version)."""
    if supplied is None:
        raise Problem(
            428,
            "if_match_required",
            "send If-Match with the ETag you read",
            errors=[{"field": "If-Match", "message": "required"}],
        )
    if supplied.strip() not in (etag(version), f'"{version}"', "*"):
        raise Problem(
            412,
            "stale_version",
            "the object changed since you read it; read it again",
            errors=[{"field": "If-Match", "message": "does not match the current ETag"}],
            headers={"ETag": etag(version)},
        )
