"""Reading a closed list's value as a database row or a request gives it: a member, or a refusal."""

from __future__ import annotations

from enum import Enum

from shared.errors import RuleViolation


def as_enum(enum_cls: type[Enum], value, field: str):
    """Accept an enum member or its string value (as a DB row or JSON gives it); None stays None."""
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise RuleViolation("invalid_value", f"{field} must be one of: {allowed}.", field=field) from None
