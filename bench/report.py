"""The benchmark's results as a table (stdout) and a JSON file (bench/results/)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MEMORY_GOAL_MB = 150.0


def _status(met) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def rows(results: dict) -> list[tuple]:
    """(db, figure, measured, goal, status) for every figure of every database's run."""
    table = []
    for db, parts in results.items():
        for endpoint in parts.get("http", []):
            table.append(
                (
                    db,
                    f"http {endpoint['endpoint']}: capacity (floor)",
                    f"{endpoint['capacity_rps']:.0f}/s ({endpoint['floor']['capacity_rps']:.0f}/s)",
                    "",
                    "-",
                )
            )
            table.append(
                (
                    db,
                    f"http {endpoint['endpoint']}: share of floor",
                    f"{endpoint['share_of_floor']:.0%} (sustainable {_share(endpoint['sustainable_share_of_floor'])})",
                    f">= {endpoint['goal_share']:.0%}",
                    _status(endpoint.get("met")),
                )
            )
            step = endpoint["steps"][-1] if endpoint["steps"] else None
            if step:
                table.append(
                    (
                        db,
                        f"http {endpoint['endpoint']}: p50/p95/p99 at {step['offered_rate']:.0f}/s",
                        _latencies(step) + f", errors {step['errors']}",
                        "",
                        "-",
                    )
                )
        if pipeline := parts.get("pipeline"):
            table.append(
                (
                    db,
                    "pipeline events/s (client floor)",
                    f"{pipeline['pipeline']['events_per_second']:.0f} ({pipeline['floor']['events_per_second']:.0f})",
                    "",
                    "-",
                )
            )
            table.append(
                (
                    db,
                    "pipeline share of client floor",
                    f"{pipeline['share_of_floor']:.0%}",
                    f">= {pipeline['goal_share']:.0%}",
                    _status(pipeline["met"]),
                )
            )
        if e2e := parts.get("e2e"):
            table.append(
                (
                    db,
                    f"end-to-end p50/p95/p99 ({e2e['reached_roster']} enrolments)",
                    _latencies(e2e["latency"]),
                    f"p50 <= {e2e['goal']['p50_ms']:.0f}, p99 <= {e2e['goal']['p99_ms']:.0f} ms",
                    _status(e2e["met"]),
                )
            )
        if summary := parts.get("national_summary"):
            for period, read in summary["reads"].items():
                table.append(
                    (
                        db,
                        f"national summary ({summary['seeded']['responses']:,} answers, {period})",
                        _latencies(read),
                        f"p95 <= {summary['goal_p95_ms']:.0f} ms",
                        _status(summary["met"]),
                    )
                )
        if listed := parts.get("offer_list"):
            small, big = listed["median_cpu_ms_per_request"].values()
            table.append(
                (
                    db,
                    "offer list CPU a request, 100,000 over 1,000 enrolments",
                    f"{listed['cost_ratio']:.2f}x ({big:.2f} vs {small:.2f} ms)",
                    f"<= {listed['goal_ratio']:.1f}x",
                    _status(listed["met"]),
                )
            )
        if replay := parts.get("replay"):
            table.append(
                (
                    db,
                    f"replay into rosters ({replay['events']:,} events)",
                    f"{replay['events_per_second']:.0f} events/s",
                    f">= {replay['goal_per_second']:,.0f} events/s",
                    _status(replay["met"]),
                )
            )
        if memory := peak_memory(parts):
            name, mb = max(memory.items(), key=lambda item: item[1])
            table.append(
                (
                    db,
                    "largest process RSS",
                    f"{mb:.0f} MB ({name})",
                    f"<= {MEMORY_GOAL_MB:.0f} MB",
                    _status(mb <= MEMORY_GOAL_MB),
                )
            )
    return table


def _share(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _latencies(summary: dict) -> str:
    return (
        "/".join("-" if summary.get(k) is None else f"{summary[k]:.0f}" for k in ("p50_ms", "p95_ms", "p99_ms")) + " ms"
    )


def peak_memory(parts: dict) -> dict[str, float]:
    """The highest RSS seen of each kind of process (web arbiter, web worker, worker) in any part."""
    peaks: dict[str, float] = {}
    samples = [e["memory"] for e in parts.get("http", [])] + [
        parts[p]["memory"] for p in ("e2e", "national_summary") if p in parts
    ]
    for sample in samples:
        for name, figures in sample.items():
            kind = " ".join(word for word in name.split() if not word.isdigit())
            for value in (figures["rest_mb"], figures["load_mb"]):
                if value is not None:
                    peaks[kind] = max(peaks.get(kind, 0.0), value)
    return peaks


def print_table(table: list[tuple]) -> None:
    header = ("db", "figure", "measured", "goal", "status")
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def write(document: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2, default=str))
    return path


def machine() -> dict:
    return {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
