"""The add-only checker itself, on synthetic before/after schemas: every breaking change is
caught, every addition passes."""

import copy
import json

import pytest

from shared.contracts.compat import breaking_changes, snapshot_report, write_snapshots

BEFORE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "org.example.thing.happened.v1",
    "type": "object",
    "properties": {
        "thing_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "size": {"type": "integer", "minimum": 1, "maximum": 30},
        "code": {"type": ["string", "null"], "pattern": "^U\\d{5}$", "default": None},
        "score": {"type": "number", "exclusiveMinimum": 0},
        "on": {"type": "string", "format": "date"},
        "note": {"type": ["string", "null"], "default": None},
        "ratings": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
            "propertyNames": {"type": "string", "enum": ["a", "b", "c"]},
        },
        "figures": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"count": {"type": "integer"}, "mean": {"type": ["number", "null"]}},
                "required": ["count"],
            },
        },
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}},
    },
    "required": ["thing_id", "status", "size"],
}


def changed(edit):
    after = copy.deepcopy(BEFORE)
    edit(after)
    return after


def props(schema):
    return schema["properties"]


ADD_ONLY = {
    "an added optional field": lambda s: props(s).update(extra={"type": "string"}),
    "an added enum value": lambda s: props(s)["status"]["enum"].append("archived"),
    "a loosened minimum": lambda s: props(s)["size"].update(minimum=0),
    "a loosened maximum": lambda s: props(s)["size"].update(maximum=60),
    "a removed maximum": lambda s: props(s)["size"].pop("maximum"),
    "a loosened length": lambda s: props(s)["thing_id"].update(maxLength=128),
    "a removed pattern": lambda s: props(s)["code"].pop("pattern"),
    "an exclusive bound made inclusive": lambda s: props(s)["score"].update(
        minimum=props(s)["score"].pop("exclusiveMinimum")
    ),
    "an added map key": lambda s: props(s)["ratings"]["propertyNames"]["enum"].append("d"),
    "a field added inside map values": lambda s: props(s)["figures"]["additionalProperties"]["properties"].update(
        median={"type": "number"}
    ),
    "a changed description, title and default": lambda s: (
        s.update(description="new words", title="renamed"),
        props(s)["note"].update(default="n/a"),
    ),
}

BREAKING = {
    "a removed field": (lambda s: props(s).pop("note"), "note: removed"),
    "a retyped field": (lambda s: props(s)["size"].update(type="string"), "size: retyped from integer to string"),
    "a field made nullable": (lambda s: props(s)["size"].update(type=["integer", "null"]), "size: retyped"),
    "a nullable field made non-null": (lambda s: props(s)["note"].update(type="string"), "note: retyped"),
    "a changed format": (lambda s: props(s)["on"].update(format="date-time"), "on: format changed"),
    "an optional field made required": (lambda s: s["required"].append("note"), "note: newly required"),
    "a new required field": (
        lambda s: (props(s).update(extra={"type": "string"}), s["required"].append("extra")),
        "extra: newly required",
    ),
    "a required field made optional": (lambda s: s["required"].remove("size"), "size: no longer required"),
    "a narrowed enum": (lambda s: props(s)["status"]["enum"].remove("closed"), "status: enum narrowed"),
    "an enum on a free field": (lambda s: props(s)["note"].update(enum=["x", None]), "note: enum added"),
    "a raised minimum": (lambda s: props(s)["size"].update(minimum=2), "size: minimum tightened"),
    "a lowered maximum": (lambda s: props(s)["size"].update(maximum=8), "size: maximum tightened"),
    "a new maximum": (lambda s: props(s)["score"].update(maximum=5), "score: maximum tightened"),
    "an inclusive bound made exclusive": (
        lambda s: props(s)["size"].update(exclusiveMinimum=props(s)["size"].pop("minimum")),
        "size: minimum tightened",
    ),
    "a raised minimum length": (lambda s: props(s)["thing_id"].update(minLength=3), "thing_id: minLength tightened"),
    "a lowered maximum length": (lambda s: props(s)["thing_id"].update(maxLength=32), "thing_id: maxLength tightened"),
    "a new maximum length": (lambda s: props(s)["note"].update(maxLength=100), "note: maxLength tightened"),
    "a new pattern": (lambda s: props(s)["note"].update(pattern="^[a-z]+$"), "note: pattern added"),
    "a changed pattern": (lambda s: props(s)["code"].update(pattern="^U\\d{6}$"), "code: pattern changed"),
    "a tightened map value": (
        lambda s: props(s)["ratings"]["additionalProperties"].update(maximum=4),
        "ratings.{value}: maximum tightened",
    ),
    "a narrowed map key": (
        lambda s: props(s)["ratings"]["propertyNames"]["enum"].remove("c"),
        "ratings.{key}: enum narrowed",
    ),
    "a field removed inside map values": (
        lambda s: props(s)["figures"]["additionalProperties"]["properties"].pop("mean"),
        "figures.{value}.mean: removed",
    ),
    "a tightened array item": (
        lambda s: props(s)["tags"]["items"].update(maxLength=10),
        "tags.[]: maxLength tightened",
    ),
    "an object closed to new fields": (lambda s: s.update(additionalProperties=False), "(data): closed"),
    "a new multipleOf": (lambda s: props(s)["size"].update(multipleOf=2), "size: multipleOf added"),
    "an unknown keyword": (
        lambda s: props(s)["note"].update(contentEncoding="base64"),
        "note: contentEncoding changed, and the checker cannot tell",
    ),
}


@pytest.mark.parametrize("edit", ADD_ONLY.values(), ids=ADD_ONLY.keys())
def test_an_add_only_change_passes(edit):
    assert breaking_changes(BEFORE, changed(edit)) == []


@pytest.mark.parametrize("edit, expected", BREAKING.values(), ids=BREAKING.keys())
def test_a_breaking_change_is_caught_and_named(edit, expected):
    problems = breaking_changes(BEFORE, changed(edit))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_an_unchanged_schema_passes():
    assert breaking_changes(BEFORE, copy.deepcopy(BEFORE)) == []


def _write(folder, name, schema):
    (folder / f"{name}.json").write_text(json.dumps(schema))


def test_the_report_sorts_types_into_missing_breaking_behind_and_retired(tmp_path):
    added = changed(ADD_ONLY["an added optional field"])
    narrowed = changed(BREAKING["a narrowed enum"][0])
    for name in ("same.v1", "grown.v1", "narrowed.v1", "gone.v1"):
        _write(tmp_path, name, BEFORE)
    current = {"same.v1": BEFORE, "grown.v1": added, "narrowed.v1": narrowed, "new.v1": BEFORE}

    report = snapshot_report(tmp_path, current)

    assert report.missing == ["new.v1"]
    assert list(report.breaking) == ["narrowed.v1"]
    assert report.behind == ["grown.v1"]
    assert report.retired == ["gone.v1"]


def test_writing_snapshots_fills_gaps_and_leaves_existing_ones_unless_told(tmp_path):
    written = write_snapshots(tmp_path)
    assert written and all((tmp_path / f"{name}.json").exists() for name in written)
    tampered = tmp_path / f"{written[0]}.json"
    tampered.write_text(json.dumps({"type": "object"}))

    assert write_snapshots(tmp_path) == []
    assert write_snapshots(tmp_path, accept_additions=True) == []  # the tampered one is not add-only
    assert json.loads(tampered.read_text()) == {"type": "object"}
    assert written[0] in write_snapshots(tmp_path, force=True)
    assert json.loads(tampered.read_text())["title"] == written[0]


def test_a_breaking_change_as_a_new_version_beside_the_old_one_passes(tmp_path):
    narrowed = changed(BREAKING["a narrowed enum"][0])
    _write(tmp_path, "thing.happened.v1", BEFORE)
    _write(tmp_path, "thing.happened.v2", narrowed)

    report = snapshot_report(tmp_path, {"thing.happened.v1": BEFORE, "thing.happened.v2": narrowed})

    assert (report.missing, report.breaking, report.behind, report.retired) == ([], {}, [], [])


def test_a_new_version_that_replaces_the_old_one_is_caught(tmp_path):
    narrowed = changed(BREAKING["a narrowed enum"][0])
    _write(tmp_path, "thing.happened.v1", BEFORE)
    _write(tmp_path, "thing.happened.v2", narrowed)

    report = snapshot_report(tmp_path, {"thing.happened.v2": narrowed})

    assert report.retired == ["thing.happened.v1"]
