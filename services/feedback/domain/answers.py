"""What every answer's checks share: a rating on a range, optional free text, no unknown
fields, and one error that names every bad field at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.errors import RuleViolation

MAX_TEXT_LENGTH = 2000


class FieldErrors:
    """Collects field errors so one response can name every bad field."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field: str, rule: str, detail: str) -> None:
        self.items.append({"field": field, "rule": rule, "detail": detail})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise RuleViolation(first["rule"], first["detail"], field=first["field"], extra={"errors": self.items})


def checked_rating(errors: FieldErrors, field: str, value: Any, low: int, high: int) -> Any:
    if value is None:
        errors.add(field, "required", f"{field} is required.")
    elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(field, "out_of_range", f"{field} must be a whole number from {low} to {high}.")
    return value


def checked_text(errors: FieldErrors, field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, "invalid_type", f"{field} must be text.")
        return None
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        # The detail never quotes the text: it reaches logs.
        errors.add(field, "text_too_long", f"{field} must be at most {MAX_TEXT_LENGTH} characters.")
    return value or None


def unknown_fields(errors: FieldErrors, given: Iterable[str], allowed: Iterable[str], prefix: str = "") -> None:
    allowed = set(allowed)
    for name in sorted(set(given) - allowed):
        errors.add(f"{prefix}{name}", "unknown_field", f"{prefix}{name} is not a known field.")
