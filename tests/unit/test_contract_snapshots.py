"""Every event type's data schema against its committed snapshot (shared/contracts/snapshots):
within a version, declarations only grow."""

import json

import jsonschema
import pytest

from shared.contracts.compat import SNAPSHOT_DIR, snapshot_report


@pytest.fixture(scope="module")
def report():
    return snapshot_report()


def test_every_declared_event_type_has_a_snapshot(report):
    assert not report.missing, (
        f"no snapshot for {', '.join(report.missing)}: run `python -m services.cli snapshot-schemas` and commit "
        "shared/contracts/snapshots/"
    )


def test_every_declaration_is_add_only_against_its_snapshot(report):
    assert not report.breaking, (
        "these changes would break subscribers:\n"
        + "\n".join(f"  {name}: {problem}" for name, problems in report.breaking.items() for problem in problems)
        + "\nWithin a version a schema may only grow (new optional fields, new enum values, looser bounds). "
        "Declare a new .vN type with the new schema and keep publishing the old one for its deprecation "
        "period (docs/subscribers.md). `snapshot-schemas --force` is only for before the first release."
    )


def test_snapshots_record_the_latest_additions(report):
    # Otherwise a field added today and removed tomorrow would never be compared with anything.
    assert not report.behind, (
        f"add-only changes to {', '.join(report.behind)} are not recorded: run "
        "`python -m services.cli snapshot-schemas --accept-additions` and commit shared/contracts/snapshots/"
    )


def test_a_snapshotted_event_type_is_still_declared(report):
    assert not report.retired, (
        f"{', '.join(report.retired)} has a snapshot but no declaration: subscribers still read it. Keep the old "
        "type declared and published alongside its successor for at least 6 months; when that has passed, delete "
        "its snapshot in the same change that removes the declaration."
    )


@pytest.mark.parametrize("path", sorted(SNAPSHOT_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_each_snapshot_is_a_draft_07_json_schema(path):
    schema = json.loads(path.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] == path.stem
