"""Add-only evolution: compares an event type's JSON Schema with its committed snapshot.

Within a version a declaration may only grow: new optional fields, new enum values, looser
ranges and lengths. A removed or retyped field (becoming nullable is a retype), a newly
required field (or one no longer required), a narrowed enum, a tightened range, length or
pattern breaks subscribers, so it needs a new `.vN` type published alongside the old one.
Keywords the checker does not know count as breaking when they change: it errs towards asking.
`breaking_changes` is pure; the functions below it read and write the snapshots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"
# Words, not constraints: changing them never breaks a subscriber.
_ANNOTATIONS = {
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "example",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
}
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties")
_CHECKED = {
    "type",
    "format",
    "const",
    "enum",
    "pattern",
    "multipleOf",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "items",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    *_LOWER_BOUNDS,
    *_UPPER_BOUNDS,
}


def breaking_changes(before: dict, after: dict, path: str = "") -> list[str]:
    """What in `after` would break a subscriber written against `before` (empty: add-only)."""
    where = path or "(data)"
    problems: list[str] = []
    if _types(before) != _types(after):
        return [f"{where}: retyped from {_describe_types(before)} to {_describe_types(after)}"]
    for keyword in ("format", "const"):
        if before.get(keyword) != after.get(keyword):
            problems.append(f"{where}: {keyword} changed from {before.get(keyword)!r} to {after.get(keyword)!r}")
    problems += _enum(before, after, where)
    problems += _bounds(before, after, where)
    for keyword in ("pattern", "multipleOf"):
        if keyword in after and before.get(keyword) != after[keyword]:
            problems.append(
                f"{where}: {keyword} {'added' if keyword not in before else 'changed'} ({after[keyword]!r})"
            )
    problems += _properties(before, after, path)
    problems += _values(before, after, path)
    for keyword in ("propertyNames", "items"):
        if keyword in after:
            if keyword not in before:
                problems.append(f"{where}: {keyword} constrained where it was free")
            else:
                problems += breaking_changes(
                    before[keyword], after[keyword], _join(path, "{key}" if keyword == "propertyNames" else "[]")
                )
    for keyword in sorted((set(before) | set(after)) - _CHECKED - _ANNOTATIONS):
        if before.get(keyword) != after.get(keyword):
            problems.append(f"{where}: {keyword} changed, and the checker cannot tell whether that is add-only")
    return problems


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _types(schema: dict) -> frozenset:
    kinds = schema.get("type")
    return frozenset([kinds] if isinstance(kinds, str) else kinds or [])


def _describe_types(schema: dict) -> str:
    return " or ".join(sorted(_types(schema))) or "any"


def _enum(before: dict, after: dict, where: str) -> list[str]:
    if "enum" not in after:
        return []
    if "enum" not in before:
        return [f"{where}: enum added (narrowed to {after['enum']!r})"]
    dropped = [value for value in before["enum"] if value not in after["enum"]]
    return [f"{where}: enum narrowed, no longer allows {dropped!r}"] if dropped else []


def _bounds(before: dict, after: dict, where: str) -> list[str]:
    problems = []
    if _tighter_lower(_numeric_lower(before), _numeric_lower(after)):
        problems.append(f"{where}: minimum tightened to {_numeric_lower(after)}")
    if _tighter_upper(_numeric_upper(before), _numeric_upper(after)):
        problems.append(f"{where}: maximum tightened to {_numeric_upper(after)}")
    for keyword in _LOWER_BOUNDS:
        if keyword in after and (keyword not in before or after[keyword] > before[keyword]):
            problems.append(f"{where}: {keyword} tightened to {after[keyword]}")
    for keyword in _UPPER_BOUNDS:
        if keyword in after and (keyword not in before or after[keyword] < before[keyword]):
            problems.append(f"{where}: {keyword} tightened to {after[keyword]}")
    return problems


def _numeric_lower(schema: dict):
    """(bound, exclusive) or None; draft-07 allows both keywords, the stricter one counts."""
    bounds = [(schema["minimum"], False)] if "minimum" in schema else []
    bounds += [(schema["exclusiveMinimum"], True)] if "exclusiveMinimum" in schema else []
    return max(bounds) if bounds else None


def _numeric_upper(schema: dict):
    bounds = [(schema["maximum"], False)] if "maximum" in schema else []
    bounds += [(schema["exclusiveMaximum"], True)] if "exclusiveMaximum" in schema else []
    return min(bounds, key=lambda b: (b[0], not b[1])) if bounds else None


def _tighter_lower(before, after) -> bool:
    if after is None:
        return False
    return before is None or after[0] > before[0] or (after[0] == before[0] and after[1] and not before[1])


def _tighter_upper(before, after) -> bool:
    if after is None:
        return False
    return before is None or after[0] < before[0] or (after[0] == before[0] and after[1] and not before[1])


def _properties(before: dict, after: dict, path: str) -> list[str]:
    problems = []
    old, new = before.get("properties", {}), after.get("properties", {})
    for name, schema in old.items():
        if name not in new:
            problems.append(f"{_join(path, name)}: removed")
        else:
            problems += breaking_changes(schema, new[name], _join(path, name))
    old_required, new_required = set(before.get("required", [])), set(after.get("required", []))
    problems += [f"{_join(path, name)}: newly required" for name in sorted(new_required - old_required)]
    problems += [
        f"{_join(path, name)}: no longer required (subscribers rely on it being there)"
        for name in sorted(old_required - new_required)
    ]
    return problems


def _values(before: dict, after: dict, path: str) -> list[str]:
    """A map's value schema (`additionalProperties` as a schema); `false` closes an open object."""
    old, new = before.get("additionalProperties", True), after.get("additionalProperties", True)
    where = path or "(data)"
    if new is True or old == new:
        return []
    if new is False:
        return [f"{where}: closed to properties it used to allow"]
    if not isinstance(old, dict):
        return [f"{where}: values constrained where they were free"] if old is True else []
    return breaking_changes(old, new, _join(path, "{value}"))


# --- The committed snapshots ----------------------------------------------------------------


@dataclass
class SnapshotReport:
    """How the declarations stand against the committed snapshots."""

    missing: list[str] = field(default_factory=list)  # declared, no snapshot yet
    breaking: dict[str, list[str]] = field(default_factory=dict)  # type → what breaks
    behind: list[str] = field(default_factory=list)  # add-only changes not recorded yet
    retired: list[str] = field(default_factory=list)  # snapshot, but no declaration


def snapshot_path(event_type: str, directory: Path = SNAPSHOT_DIR) -> Path:
    return directory / f"{event_type}.json"


def render_snapshot(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def current_schemas() -> dict[str, dict]:
    from shared.asyncapi import event_json_schema
    from shared.contracts.registry import event_types

    return {name: event_json_schema(declared) for name, declared in sorted(event_types().items())}


def snapshot_report(directory: Path = SNAPSHOT_DIR, schemas: dict[str, dict] | None = None) -> SnapshotReport:
    schemas = current_schemas() if schemas is None else schemas
    report = SnapshotReport()
    recorded = {path.name[: -len(".json")] for path in directory.glob("*.json")}
    report.retired = sorted(recorded - set(schemas))
    for name, schema in schemas.items():
        if name not in recorded:
            report.missing.append(name)
            continue
        before = json.loads(snapshot_path(name, directory).read_text())
        problems = breaking_changes(before, schema)
        if problems:
            report.breaking[name] = problems
        elif before != schema:
            report.behind.append(name)
    return report


def write_snapshots(
    directory: Path = SNAPSHOT_DIR, *, accept_additions: bool = False, force: bool = False
) -> list[str]:
    """Write missing snapshots; with `accept_additions` also record add-only changes; with
    `force` overwrite every snapshot, breaking or not (only before the first release)."""
    schemas = current_schemas()
    report = snapshot_report(directory, schemas)
    names = list(schemas) if force else report.missing + (report.behind if accept_additions else [])
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        snapshot_path(name, directory).write_text(render_snapshot(schemas[name]))
    return sorted(names)


__all__ = ["SNAPSHOT_DIR", "SnapshotReport", "breaking_changes", "snapshot_report", "write_snapshots"]
