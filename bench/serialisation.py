"""What dumping a response costs, in process: the pages and documents the HTTP benchmark reads
(50 offers, a 25-member roster, 50 sessions, one aggregate, the national summary), dumped
by marshmallow's `Schema.dump`, by shared.dumping, and by a loop over the public
`Field.serialize` of each field. Ratios, not targets: `make bench` prints them beside the HTTP
figures so the cost of each way is seen against the cost of a whole request.

    .venv/bin/python -m bench.serialisation [--seconds 0.3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, fields, missing
from sqlalchemy.engine.result import result_tuple

from shared.dumping import dumper
from shared.schemas import instance

# --- Objects shaped as the stores and use cases hand them to the HTTP layer ----------------


def value_of(field: fields.Field, rng: random.Random, name: str):
    """A value of the field's declared kind, as the services' reads produce it."""
    if field.allow_none and rng.random() < 0.2:
        return None
    if isinstance(field, fields.Nested):
        many = field.schema.many or field.many
        return [document(field.schema, rng) for _ in range(3)] if many else document(field.schema, rng)
    if isinstance(field, fields.List):
        return [value_of(field.inner, rng, name) for _ in range(3)]
    if isinstance(field, fields.Dict):
        return {f"{name}_{n}": value_of(field.value_field or fields.Raw(), rng, name) for n in range(4)}
    if isinstance(field, fields.DateTime):
        # SQLite hands stamps back without a zone, PostgreSQL with one; a session's times are always aware.
        naive = datetime(
            2026,
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(8, 18),
            rng.choice((0, 30)),
            0,
            rng.randint(0, 999_999),
        )
        return naive if rng.random() < 0.5 and not name.startswith(("starts", "ends")) else naive.replace(tzinfo=UTC)
    if isinstance(field, fields.Date):
        return date(2026, rng.randint(1, 12), rng.randint(1, 28))
    if isinstance(field, fields.Boolean):
        return rng.random() < 0.5
    if isinstance(field, fields.Integer):
        return rng.randint(0, 500)
    if isinstance(field, fields.Float):
        return rng.random()
    if isinstance(field, fields.Enum):
        return rng.choice(list(field.enum))
    if name.endswith("id"):
        return str(uuid.UUID(int=rng.getrandbits(128)))
    return rng.choice(("Y56", "national", "leadership_programme", "Leading primary care networks", "confirmed", "open"))


def document(schema: Schema, rng: random.Random) -> dict:
    return {field.attribute or name: value_of(field, rng, name) for name, field in schema.dump_fields.items()}


def row(schema: Schema, rng: random.Random):
    """A SQLAlchemy RowMapping, as `conn.execute(...).mappings()` answers a page's rows."""
    values = document(schema, rng)
    return result_tuple(list(values))(tuple(values.values()))._mapping


# --- The ways to dump -----------------------------------------------------------------------


def public_loop(schema: type[Schema], many: bool) -> Callable[[Any], Any]:
    """The cheapest loop on marshmallow's public API alone: each dumped field's own
    `Field.serialize` with the schema's accessor (what Schema.dump does, less its hooks)."""
    bound = instance(schema)
    steps = [(field.data_key or name, name, field.serialize) for name, field in bound.dump_fields.items()]
    accessor = bound.get_attribute

    def dump_one(obj):
        out = {}
        for key, name, serialize in steps:
            value = serialize(name, obj, accessor=accessor)
            if value is not missing:
                out[key] = value
        return out

    if many:
        return lambda objs: [dump_one(obj) for obj in objs]
    return dump_one


def ways(schema: type[Schema], many: bool) -> dict[str, Callable[[Any], Any]]:
    return {
        "Schema.dump": instance(schema, many=many).dump,
        "shared.dumping": dumper(schema, many=many),
        "public Field.serialize loop": public_loop(schema, many),
    }


def cases(rng: random.Random) -> list[tuple[str, type[Schema], bool, Any]]:
    from services.enrolment.schemas import OfferSchema
    from services.feedback.schemas import AggregateSchema, NationalSummarySchema
    from services.scheduling.schemas import RosterSchema, SessionSchema

    roster = document(instance(RosterSchema), rng)
    # The use case answers the members JSON-ready (services.scheduling.schemas.JsonReadyList).
    roster["members"] = [
        {
            "participant_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "status": "confirmed",
            "joined_at": "2026-03-01T09:00:00+00:00",
        }
        for _ in range(25)
    ]
    return [
        ("offer list, 50 rows", OfferSchema, True, [row(instance(OfferSchema), rng) for _ in range(50)]),
        ("session list, 50 rows", SessionSchema, True, [row(instance(SessionSchema), rng) for _ in range(50)]),
        ("roster, 25 members", RosterSchema, False, roster),
        ("aggregate, one cell", AggregateSchema, False, document(instance(AggregateSchema), rng)),
        ("national summary", NationalSummarySchema, False, document(instance(NationalSummarySchema), rng)),
    ]


def per_call(function: Callable[[Any], Any], argument, seconds: float) -> float:
    """Seconds per call: the best of five rounds, each about `seconds / 5` long."""
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < 0.02:
        function(argument)
        calls += 1
    batch = max(1, int(calls * (seconds / 5) / 0.02))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(batch):
            function(argument)
        best = min(best, (time.perf_counter() - started) / batch)
    return best


def run(seconds: float = 0.3) -> list[dict]:
    """One result per case: microseconds per dump each way, and each way's time over Schema.dump."""
    results = []
    for label, schema, many, obj in cases(random.Random("serialisation")):
        measured = ways(schema, many)
        answers = {name: dump(obj) for name, dump in measured.items()}
        reference = answers["Schema.dump"]
        timings = {name: per_call(dump, obj, seconds) * 1e6 for name, dump in measured.items()}
        results.append(
            {
                "case": label,
                "schema": schema.__name__,
                "microseconds": {name: round(value, 1) for name, value in timings.items()},
                "ratio_to_schema_dump": {
                    name: round(value / timings["Schema.dump"], 2) for name, value in timings.items()
                },
                "same_answer": {name: answer == reference for name, answer in answers.items()},
            }
        )
    return results


def table(results: list[dict]) -> str:
    names = list(results[0]["microseconds"])
    lines = [f"{'case':24}" + "".join(f"{name:>32}" for name in names)]
    for result in results:
        cells = [
            f"{result['microseconds'][name]:>9.0f} µs ({result['ratio_to_schema_dump'][name]:.2f}×)"
            f"{'' if result['same_answer'][name] else ' DIFF':5}"
            for name in names
        ]
        lines.append(f"{result['case']:24}" + "".join(f"{cell:>32}" for cell in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="time spent measuring each way of each case")
    arguments = parser.parse_args(argv)
    print(table(run(arguments.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
