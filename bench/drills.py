"""`python -m bench.drills [--short] [--only NAME] [--db sqlite|postgres|both]`: fault drills.

Each drill starts enrolment's web (gunicorn) and worker and scheduling's worker on a fresh
deployment, runs a steady enrolment load, does its damage (see bench/faults.py), waits until
every event has arrived, and checks: every order answered once with one enrolment; every
roster event of enrolment's outbox applied by scheduling exactly once in effect and in outbox
order per offer; scheduling's rosters equal enrolment's members; capacity never exceeded.
Needs BENCH_KAFKA and BENCH_KAFKA_DIR (the broker it may kill), and for PostgreSQL
BENCH_POSTGRES, BENCH_POSTGRES_PORT and BENCH_POSTGRES_DIR: deploy/local/isolated.sh sets them.
--short runs web-kill, worker-kill, rebalance and poison on SQLite only (what `make test` runs).
`--only soak` runs the soak drill instead (bench/soak.py: the whole stack for --soak-minutes,
30 by default; never part of the default set or of --short).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.drill_stack import DrillStack
from bench.faults import DRILLS, SHORT, Drill
from bench.report import RESULTS, print_table
from bench.soak import run_soak
from bench.stack import Deployment

SOAK = "soak"


def run_drill(
    drill: Drill, db: str, *, short: bool, root: Path, kafka_bootstrap: str, kafka_dir: str, postgres: dict | None
) -> dict:
    """Run one drill and return what it did, its counts and its checks (never raises)."""
    label = f"{drill.name}/{db}"
    actions: list[str] = []
    started = time.monotonic()

    def say(text: str) -> None:
        actions.append(f"{time.monotonic() - started:6.1f}s {text}")
        print(f"[drill {label}] {text}", flush=True)

    deployment = Deployment(root, kafka_bootstrap, db, (postgres or {}).get("url"), label=f"drill-{drill.name}-{db}")
    stack = None
    outcome = {"drill": drill.name, "db": db, "summary": drill.summary}
    try:
        say(drill.summary)
        pg = (postgres["port"], postgres["dir"]) if postgres else None
        stack = DrillStack(
            deployment, kafka_dir=kafka_dir, postgres=pg, app_spec=drill.app_spec, environ=drill.environ, say=say
        )
        extra = drill.run(stack, short)
        checks, counts = stack.finish(extra.ignore_event_ids)
        checks += extra.checks()
        outcome.update(counts=counts, checks=[c.__dict__ for c in checks], passed=all(c.ok for c in checks))
    except Exception as error:
        say(f"the drill itself failed: {type(error).__name__}: {error}")
        outcome.update(passed=False, error=traceback.format_exc()[-3000:])
    finally:
        if stack is not None:
            logs = stack.close()
            if not outcome.get("passed"):
                outcome["logs"] = logs
        deployment.close()
    outcome.update(actions=actions, seconds=round(time.monotonic() - started, 1))
    _print_outcome(label, outcome)
    return outcome


def run_soak_drill(
    db: str, *, minutes: float, root: Path, kafka_bootstrap: str, kafka_dir: str, postgres: dict | None
) -> dict:
    """The soak drill (bench/soak.py), reported like the others (never raises)."""
    label = f"soak/{db}"
    actions: list[str] = []
    started = time.monotonic()

    def say(text: str) -> None:
        actions.append(f"{time.monotonic() - started:6.1f}s {text}")
        print(f"[drill {label}] {text}", flush=True)

    outcome = {
        "drill": "soak",
        "db": db,
        "summary": (
            f"the whole stack for {minutes:g} min: idle stretches, a trickle of every event type; groups, "
            "commits, rebalances and CPU at rest checked"
        ),
    }
    try:
        say(outcome["summary"])
        outcome.update(run_soak(root, kafka_bootstrap, db, (postgres or {}).get("url"), minutes=minutes, say=say))
    except Exception as error:
        say(f"the drill itself failed: {type(error).__name__}: {error}")
        outcome.update(passed=False, error=traceback.format_exc()[-3000:])
    outcome.update(actions=actions, seconds=round(time.monotonic() - started, 1))
    _print_outcome(label, outcome)
    return outcome


def _print_outcome(label: str, outcome: dict) -> None:
    print(f"[drill {label}] counts: {json.dumps(outcome.get('counts', {}))}")
    for check in outcome.get("checks", []):
        print(f"[drill {label}]   {'ok  ' if check['ok'] else 'FAIL'} {check['name']} ({check['detail']})")
    print(f"[drill {label}] {'PASS' if outcome['passed'] else 'FAIL'} in {outcome['seconds']} s", flush=True)


def environment() -> dict:
    kafka_bootstrap, kafka_dir = os.environ.get("BENCH_KAFKA"), os.environ.get("BENCH_KAFKA_DIR")
    if not kafka_bootstrap or not kafka_dir:
        raise SystemExit(
            "BENCH_KAFKA and BENCH_KAFKA_DIR are not set: run `make drills`, or deploy/local/isolated.sh drills"
        )
    postgres = None
    if os.environ.get("BENCH_POSTGRES"):
        postgres = {
            "url": os.environ["BENCH_POSTGRES"],
            "port": os.environ.get("BENCH_POSTGRES_PORT", ""),
            "dir": os.environ.get("BENCH_POSTGRES_DIR", ""),
        }
    return {"kafka_bootstrap": kafka_bootstrap, "kafka_dir": kafka_dir, "postgres": postgres}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.drills", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help="the short form: web-kill, worker-kill, rebalance and poison on SQLite, small loads",
    )
    parser.add_argument(
        "--only",
        choices=[d.name for d in DRILLS] + [SOAK],
        action="append",
        help="run only this drill (repeatable); soak only when named",
    )
    parser.add_argument("--soak-minutes", type=float, default=30.0, help="length of the soak drill (default 30)")
    parser.add_argument(
        "--db", choices=("sqlite", "postgres", "both"), default=None, help="default: both (--short: sqlite)"
    )
    args = parser.parse_args(argv)
    env = environment()
    soak_alone = args.only == [SOAK]  # a long run: SQLite only unless --db says otherwise
    databases = {
        "both": ("sqlite", "postgres"),
        None: ("sqlite",) if args.short or soak_alone else ("sqlite", "postgres"),
    }.get(args.db, (args.db,))
    names = args.only or (SHORT if args.short else [d.name for d in DRILLS])
    root = Path(os.environ.get("BENCH_RUN_DIR", Path(__file__).resolve().parent.parent / ".run" / "drills"))
    outcomes = []
    for db in databases:
        if db == "postgres" and not env["postgres"]:
            raise SystemExit("PostgreSQL drills need BENCH_POSTGRES: run `make drills`")
        for drill in (d for d in DRILLS if d.name in names):
            if drill.postgres_only and db != "postgres":
                continue
            outcomes.append(run_drill(drill, db, short=args.short, root=root, **env))
        if SOAK in names:
            outcomes.append(run_soak_drill(db, minutes=args.soak_minutes, root=root, **env))
    if not outcomes:
        print("no drill matched (postgres-restart needs --db postgres or both)", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"drills-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(outcomes, indent=2, default=str))
    print()
    print_table(
        [
            (
                o["db"],
                o["drill"],
                _counts_line(o),
                f"{sum(c['ok'] for c in o.get('checks', []))}/{len(o.get('checks', []))} checks",
                "PASS" if o["passed"] else "FAIL",
            )
            for o in outcomes
        ]
    )
    print(f"\nresults: {path}")
    return 0 if all(o["passed"] for o in outcomes) else 1


def _counts_line(outcome: dict) -> str:
    counts = outcome.get("counts", {})
    if outcome["drill"] == SOAK:
        cpu = counts.get("rest_cpu_percent", {})
        return (
            f"{counts.get('events_sent', 0)} events in {counts.get('minutes', 0)} min, rest CPU max "
            f"{max(cpu.values(), default=0):.2f} %"
        )
    return (
        f"{counts.get('accepted', 0)} enrolments, {counts.get('applied', 0)}/{counts.get('roster_events', 0)} "
        f"events, {counts.get('retried', 0)} retried"
    )


if __name__ == "__main__":
    sys.exit(main())
