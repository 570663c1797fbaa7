"""Optimistic concurrency: a change names the version of the object it read (HTTP: If-Match,
the ETag it was given), and the use case that reads the current version refuses a missing or
stale one. A read answers its ETag too, and one whose If-None-Match names the current ETag is
answered 304 Not Modified without its body (`unless_held`). Here, not in shared.api, so that use
cases can check both without the HTTP layer."""

from __future__ import annotations

import re

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


# --- conditional reads (If-None-Match) ----------------------------------------------------------

# An entity-tag (RFC 9110 §8.8.3): an optional weak prefix and an opaque quoted string, which may
# hold commas, so a list is split on the quoted strings, not on its commas.
_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')


class NotModified(Exception):
    """The caller holds the current representation already: answered 304 with its ETag and no body
    (shared.api). Raised only after the caller was allowed to read the object."""

    def __init__(self, tag: str):
        super().__init__(tag)
        self.etag = tag


def etag_matches(if_none_match: str | None, current: str) -> bool:
    """Does an If-None-Match value name `current`? RFC 9110 §13.1.2: "*" names any current
    representation; otherwise a list of entity-tags, compared weakly (W/"7" matches "7")."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = _ENTITY_TAG.fullmatch(current.strip())
    return wanted is not None and wanted.group(1) in _ENTITY_TAG.findall(if_none_match)


def unless_held(if_none_match: str | None, current: str) -> None:
    """Raise NotModified when the request's If-None-Match names `current`: the read need not build
    its body. Call it after the caller's access is checked, so a 304 discloses nothing a 404 hides."""
    if etag_matches(if_none_match, current):
        raise NotModified(current)
