"""`python -m bench.run [--quick] [--only NAME] [--db sqlite|postgres|both]`: Convene's benchmarks.

Parts: serialisation (dumping responses in process: marshmallow's Schema.dump against
shared.dumping, once), http (endpoints against the framework's floor), pipeline (outbox → consumer
against kafka-python's floor), e2e (enrolment answer → roster), summary (national summary over a
million answers), offer-list (the offer list at 1,000 and at 100,000 enrolments), replay (events
into the roster projection). Each of the others runs on a fresh deployment (own databases and
topics) on the broker of BENCH_KAFKA; PostgreSQL runs use the cluster of BENCH_POSTGRES.
deploy/local/isolated.sh starts both and sets them (`make bench`).
Results: a table on stdout and bench/results/bench-<time>.json. Methods: bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import e2e, http_bench, pipeline, report, scale, serialisation
from bench.stack import Deployment

PARTS = ("http", "pipeline", "e2e", "summary", "offer-list", "replay")
IN_PROCESS = ("serialisation",)  # needs no deployment or database: runs once, first
# The replay is profiled by replaying again: at a million events that would double the part's
# hour for shares that a replay of this many already shows.
PROFILED_REPLAY_MAX_EVENTS = 100_000
SIZES = {
    True: {
        "pipeline_events": 3_000,
        "e2e_enrolments": 300,
        "e2e_rate": 20.0,
        "summary_responses": 100_000,
        "offer_list_rounds": 6,
        "offer_list_seconds": 1.5,
        "replay_events": 10_000,
    },
    False: {
        "pipeline_events": 20_000,
        "e2e_enrolments": 1_000,
        "e2e_rate": 25.0,
        "summary_responses": 1_000_000,
        "offer_list_rounds": 10,
        "offer_list_seconds": 4.0,
        "replay_events": 1_000_000,
    },
}


def run_part(name: str, deployment: Deployment, sizes: dict, quick: bool, profiles: Path):
    if name == "http":
        return http_bench.run(deployment, quick=quick, profile_root=profiles)
    if name == "pipeline":
        return pipeline.run(deployment, count=sizes["pipeline_events"], profile_root=profiles)
    if name == "e2e":
        return e2e.run(deployment, enrolments=sizes["e2e_enrolments"], rate=sizes["e2e_rate"])
    if name == "summary":
        return scale.national_summary(deployment, responses=sizes["summary_responses"], profile_root=profiles)
    if name == "offer-list":
        return scale.offer_list(deployment, rounds=sizes["offer_list_rounds"], seconds=sizes["offer_list_seconds"])
    profiled = sizes["replay_events"] <= PROFILED_REPLAY_MAX_EVENTS
    return scale.replay(deployment, events=sizes["replay_events"], profile_root=profiles if profiled else None)


RESULT_KEYS = {"summary": "national_summary", "offer-list": "offer_list"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small counts and short runs (a few minutes), for development"
    )
    parser.add_argument("--only", choices=IN_PROCESS + PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--replay-events", type=int, help="events to replay (default 10,000 quick, 1,000,000 full)")
    parser.add_argument(
        "--summary-responses",
        type=int,
        help="answers stored for the national summary (default 100,000 quick, 1,000,000 full)",
    )
    args = parser.parse_args(argv)
    kafka_bootstrap = os.environ.get("BENCH_KAFKA")
    if not kafka_bootstrap:
        parser.error("BENCH_KAFKA (the broker) is not set: run `make bench`, or deploy/local/isolated.sh bench")
    sizes = dict(SIZES[args.quick])
    sizes.update(
        {
            key: value
            for key, value in (("replay_events", args.replay_events), ("summary_responses", args.summary_responses))
            if value
        }
    )
    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    root = Path(os.environ.get("BENCH_RUN_DIR", Path(__file__).resolve().parent.parent / ".run" / "bench"))
    document = {
        "started": datetime.now(UTC).isoformat(),
        "mode": "quick" if args.quick else "full",
        "machine": report.machine(),
        "sizes": sizes,
        "results": {},
    }
    failed = False
    if "serialisation" in (args.only or IN_PROCESS):
        print("[bench] serialisation ...", flush=True)
        document["serialisation"] = serialisation.run()
    for db in databases:
        results = document["results"].setdefault(db, {})
        for part in [part for part in args.only or PARTS if part in PARTS]:
            deployment = Deployment(root, kafka_bootstrap, db, os.environ.get("BENCH_POSTGRES"), label=f"{part}-{db}")
            began = time.perf_counter()
            print(f"[bench] {part} on {db} ...", flush=True)
            try:
                results[RESULT_KEYS.get(part, part)] = run_part(
                    part, deployment, sizes, args.quick, deployment.folder / "profiles"
                )
            except Exception as error:  # one broken part must not hide the others' figures
                failed = True
                results[RESULT_KEYS.get(part, part)] = {
                    "error": f"{type(error).__name__}: {error}",
                    "traceback": traceback.format_exc()[-3000:],
                }
                print(f"[bench] {part} on {db} failed: {error}", file=sys.stderr, flush=True)
            finally:
                deployment.close()
            print(f"[bench] {part} on {db} took {time.perf_counter() - began:.0f} s", flush=True)
        results["peak_memory_mb"] = report.peak_memory(results)
    document["table"] = report.rows(
        {
            db: {k: v for k, v in parts.items() if isinstance(v, (dict, list)) and "error" not in v}
            for db, parts in document["results"].items()
        }
    )
    path = report.write(document)
    if document["table"]:
        print()
        report.print_table(document["table"])
    if "serialisation" in document:
        print(
            "\nDumping responses in process (µs per answer, and the time over "
            f"Schema.dump's):\n{serialisation.table(document['serialisation'])}"
        )
    print(f"\nresults: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
