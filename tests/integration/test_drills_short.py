"""The fault drills in their short form (bench/faults.py SHORT), on SQLite and the suite's broker:
real gunicorn and workers, a steady enrolment load, the fault, then the invariants. `make drills`
runs every drill on both databases; this keeps the quick ones in `make test`."""

from __future__ import annotations

import pytest

from bench.drills import run_drill
from bench.faults import DRILLS, SHORT


@pytest.mark.parametrize("name", SHORT)
def test_enrolments_and_their_events_survive_the_drill_exactly_once_in_order_within_capacity(
    name, kafka_bootstrap, kafka_dir, tmp_path
):
    drill = next(d for d in DRILLS if d.name == name)
    outcome = run_drill(
        drill, "sqlite", short=True, root=tmp_path, kafka_bootstrap=kafka_bootstrap, kafka_dir=kafka_dir, postgres=None
    )
    failed = [f"{c['name']}: {c['detail']}" for c in outcome.get("checks", []) if not c["ok"]]
    assert outcome["passed"], "\n".join(
        [*outcome["actions"], *failed, outcome.get("error", ""), *outcome.get("logs", {}).values()]
    )
    assert outcome["counts"]["accepted"] > 0 and outcome["counts"]["applied"] == outcome["counts"]["roster_events"] > 0
