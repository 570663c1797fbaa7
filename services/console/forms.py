"""A service's problem+json answer turned into what the NHS.UK error pattern shows: an error
summary whose links go to the fields, and each message next to its field; and what a form's fields
say, as the API takes it. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

GENERAL = "_form"  # a problem that names no field of the form: shown in the summary only


@dataclass
class FormErrors:
    """`by_field`: the message shown next to each field; `summary`: the error summary's items, in order."""

    by_field: dict[str, str] = field(default_factory=dict)
    summary: list[dict] = field(default_factory=list)
    anchors: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.summary)

    def add(self, name: str, message: str) -> None:
        if name != GENERAL and name in self.by_field:
            return  # one message per field, the first: the service's order
        if name != GENERAL:
            self.by_field[name] = message
        link = {"href": "#" + self.anchors.get(name, name)} if name != GENERAL else {}
        self.summary.append({"text": message} | link)


def from_problem(problem: Mapping, fields: Mapping[str, str], anchors: Mapping[str, str] | None = None) -> FormErrors:
    """`fields`: the form's field names (as the API names them) → their labels, which start each message
    that would otherwise name the field by its API name; `anchors`: the id a field's summary link goes to
    when it is not the field's name (the day of a date)."""
    errors = FormErrors(anchors=dict(anchors or {}))
    for item in problem.get("errors") or []:
        name = str(item.get("field", "")).split(".")[0]
        message = _sentence(str(item.get("message") or "This is not valid."), name, fields)
        errors.add(name if name in fields else GENERAL, message)
    if not errors:
        errors.add(
            GENERAL, _sentence(str(problem.get("detail") or problem.get("title") or "Something is wrong."), "", {})
        )
    return errors


# marshmallow's words for a field left empty, which the NHS.UK pattern says as "Enter ...".
MISSING = {"Missing data for required field.", "Field may not be null."}


def _sentence(message: str, name: str, fields: Mapping[str, str]) -> str:
    """The service's message in the person's words: the field's label instead of its API name."""
    label = fields.get(name)
    if label and message in MISSING:
        return f"Enter {label[0].lower()}{label[1:]}."
    if label and message.startswith(name + " "):
        message = label + message[len(name) :]
    elif label and not message.lower().startswith(label.lower()):
        message = f"{label}: {message[0].lower() + message[1:] if message[:1].isupper() else message}"
    message = message.strip()
    return message if message.endswith((".", "?", "!")) else message + "."


def number(text: str):
    """A whole number typed into a form, or what was typed when it is not one (so the API's own rule
    names what is wrong with it); None when left empty."""
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else (text or None)


def date_from(form: Mapping, name: str):
    """The ISO date of an NHS.UK date input (`name[day]`, `name[month]`, `name[year]`); what was typed
    when it is no date, for the API to refuse next to the field; None when all three are empty."""
    parts = [form.get(f"{name}[{part}]", "").strip() for part in ("year", "month", "day")]
    if not any(parts):
        return None
    try:
        return date(*(int(part) for part in parts)).isoformat()
    except ValueError:
        return "-".join(parts)
