"""Queries on the running aggregates: add what answers and attendance counted, read cells,
attendee counts and the published table's suppression pattern. Reads touch aggregate rows only, never answers."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from sqlalchemy import Connection, bindparam, func, select, text

from services.feedback.domain.aggregates import ALL, ALL_TIME, AggregateKey, Counted, table_cells
from services.feedback.domain.figures import Figures, merge_all
from services.feedback.domain.running_stats import RunningStats
from services.feedback.domain.scales import SCALES
from services.feedback.store.tables import BUCKETS, aggregate_stats, attendee_counts, offers, published_cells, sessions
from shared.db import dialect_insert, upsert
from shared.disclosure import BELOW_THRESHOLD

_STATS_KEY = ("family", "scope", "region", "key", "period", "measure")
_ADDED = ("count", "total", "sum_sq", *(f"b{i}" for i in range(BUCKETS)))
_ATTENDEES_KEY = ("scope", "region", "key", "period")
# Any constant: the id of the PostgreSQL advisory lock that serialises settling the pattern.
_PATTERN_LOCK = 5_031_999_003


def _upsert_adding(conn: Connection, table, rows: list[dict], key: tuple, added: tuple) -> None:
    """Insert rows, or add their `added` columns to the rows already there (atomically).

    One single-row statement run for many rows: compiled once and cached, where a
    multi-row VALUES statement would be compiled anew for every batch."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: tuple(r[c] for c in key))  # one lock order: no deadlocks
    statement = dialect_insert(conn, table)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(key), set_={c: table.c[c] + statement.excluded[c] for c in added}
        ),
        rows,
    )


def clear(conn: Connection) -> None:
    """Forget every running aggregate and the pattern (before a rebuild from the answers); the
    pattern stays locked until the transaction ends."""
    lock_pattern(conn)
    for table in (aggregate_stats, attendee_counts, published_cells):
        conn.execute(table.delete())


def add(conn: Connection, counted: Counted) -> None:
    """Add what was counted, in at most one statement per table. When it changes the published
    table, the pattern is locked first (`lock_pattern`) and stays locked for settling it."""
    if counted.cells:
        lock_pattern(conn)
    rows = []
    for (family, key), figures in counted.figures.items():
        for measure, stats in figures.stats.items():
            padded = (*stats.histogram, *(0,) * (BUCKETS - len(stats.histogram)))
            buckets = {f"b{i}": n for i, n in enumerate(padded)}
            identity = dict(
                family=family, scope=key.scope, region=key.region, key=key.key, period=key.period, measure=measure
            )
            rows.append(
                identity
                | buckets
                | dict(scale=stats.scale.name, count=stats.count, total=stats.total, sum_sq=stats.sum_sq)
            )
    _upsert_adding(conn, aggregate_stats, rows, _STATS_KEY, _ADDED)
    attendees = [
        dict(scope=k.scope, region=k.region, key=k.key, period=k.period, attendees=n)
        for k, n in counted.attendees.items()
    ]
    _upsert_adding(conn, attendee_counts, attendees, _ATTENDEES_KEY, ("attendees",))


@cache
def _figures_query(by_region: bool, by_keys: bool):
    """Built once per shape: the figure reads answer every aggregate request, and building a
    statement costs more than running it."""
    t = aggregate_stats.c
    query = select(aggregate_stats).where(
        t.family == bindparam("family"),
        t.scope.in_(bindparam("scopes", expanding=True)),
        t.period == bindparam("period"),
    )
    if by_region:
        query = query.where(t.region == bindparam("region"))
    if by_keys:
        query = query.where(t.key.in_(bindparam("keys", expanding=True)))
    return query


def read_figures(
    conn: Connection, family: str, scopes: tuple, period: str = ALL_TIME, *, region: str | None = None, keys=None
) -> dict[tuple, Figures]:
    """{(scope, region, key): Figures} of the stored rows that match."""
    query = _figures_query(region is not None, keys is not None)
    parameters = {
        "family": family,
        "scopes": list(scopes),
        "period": period,
        "region": region,
        "keys": None if keys is None else list(keys),
    }
    stats: dict[tuple, dict] = defaultdict(dict)
    for row in conn.execute(query, {name: value for name, value in parameters.items() if value is not None}).mappings():
        scale = SCALES[row["scale"]]
        histogram = tuple(row[f"b{i}"] for i in range(len(scale.values)))
        stats[(row["scope"], row["region"], row["key"])][row["measure"]] = RunningStats(
            scale, row["count"], row["total"], row["sum_sq"], histogram
        )
    return {cell: Figures.of(family, by_measure) for cell, by_measure in stats.items()}


def read_cell(conn: Connection, family: str, scope: str, region: str, key: str, period: str = ALL_TIME) -> Figures:
    found = read_figures(conn, family, (scope,), period, region=region, keys=[key])
    return found.get((scope, region, key)) or Figures.empty(family)


def _cell_filter(cell: tuple) -> dict:
    """Where one published cell's rows are: (region|ALL, offer_type|ALL, period)."""
    region, offer_type, period = cell
    return {
        "scope": "region" if offer_type == ALL else "offer_type",
        "region": None if region == ALL else region,
        "key": None if offer_type == ALL else offer_type,
        "period": period,
    }


def cell_figures(conn: Connection, cell: tuple, family: str = "feedback") -> Figures:
    """One published cell, merged from its regions' rows (never from the answers)."""
    where = _cell_filter(cell)
    keys = None if where["key"] is None else [where["key"]]
    return merge_all(
        family,
        read_figures(conn, family, (where["scope"],), where["period"], region=where["region"], keys=keys).values(),
    )


@cache
def _attendees_query(by_region: bool, by_key: bool):
    t = attendee_counts.c
    query = select(func.coalesce(func.sum(t.attendees), 0)).where(
        t.scope == bindparam("scope"), t.period == bindparam("period")
    )
    query = query.where(t.region == bindparam("region")) if by_region else query
    return query.where(t.key == bindparam("key")) if by_key else query


def cell_attendees(conn: Connection, cell: tuple) -> int:
    where = _cell_filter(cell)
    query = _attendees_query(where["region"] is not None, where["key"] is not None)
    return conn.execute(query, {name: value for name, value in where.items() if value is not None}).scalar_one()


def table_figures(conn: Connection, period: str, family: str = "feedback") -> dict[tuple, Figures]:
    """Every cell of the published table for one period: (region|ALL, offer_type|ALL, period)."""
    cells: dict[tuple, Figures] = {}
    for (scope, region, key), figures in read_figures(conn, family, ("region", "offer_type"), period).items():
        for cell in table_cells(AggregateKey(scope, region, key, period)):
            cells[cell] = cells[cell].merge(figures) if cell in cells else figures
    return cells


_MONTHLY = select(aggregate_stats).where(
    aggregate_stats.c.family == "feedback",
    aggregate_stats.c.scope.in_(("region", "offer_type")),
    aggregate_stats.c.period != ALL_TIME,
)


def monthly_table_figures(conn: Connection) -> dict[tuple, Figures]:
    """Every month's cells of the published feedback table, (region|ALL, offer_type|ALL, month),
    merged from the stored region and offer-type rows: what a quarter is read from."""
    stats: dict[tuple, dict] = defaultdict(dict)
    for row in conn.execute(_MONTHLY).mappings():
        scale = SCALES[row["scale"]]
        histogram = tuple(row[f"b{i}"] for i in range(len(scale.values)))
        key = AggregateKey(row["scope"], row["region"], row["key"], row["period"])
        stats[key][row["measure"]] = RunningStats(scale, row["count"], row["total"], row["sum_sq"], histogram)
    cells: dict[tuple, Figures] = {}
    for key, by_measure in stats.items():
        figures = Figures.of("feedback", by_measure)
        for cell in table_cells(key):
            cells[cell] = cells[cell].merge(figures) if cell in cells else figures
    return cells


def offer_respondents(conn: Connection, region: str, offer_type: str) -> dict[str, int]:
    """Respondents of every offer of one region and type (0 when none answered)."""
    return _respondents(
        conn, offers, offers.c.offer_id, "offer", (offers.c.region == region) & (offers.c.offer_type == offer_type)
    )


def session_respondents(conn: Connection, offer_id: str) -> dict[str, int]:
    """Respondents of every session of one offer (0 when none answered)."""
    return _respondents(conn, sessions, sessions.c.session_id, "session", sessions.c.offer_id == offer_id)


def _respondents(conn: Connection, parents, id_column, scope: str, where) -> dict[str, int]:
    t = aggregate_stats.c
    # Every primary-key column matched: one index lookup per sibling, whatever the planner knows.
    counted = select(t["count"]).where(
        t.family == "feedback",
        t.scope == scope,
        t.region == parents.c.region,
        t.key == id_column,
        t.period == ALL_TIME,
        t.measure == "overall",
    )
    query = select(id_column, func.coalesce(counted.scalar_subquery(), 0).label("respondents")).where(where)
    return {row[0]: row.respondents for row in conn.execute(query)}


def table_counts(conn: Connection) -> dict[tuple, int]:
    """Respondents of the innermost cells of the published table: (region, offer_type, month)."""
    t = aggregate_stats.c
    query = select(t.region, t.key, t.period, t["count"].label("respondents")).where(
        t.family == "feedback", t.scope == "offer_type", t.measure == "overall", t.period != ALL_TIME
    )
    return {(row.region, row.key, row.period): row.respondents for row in conn.execute(query)}


def attendees(conn: Connection, scope: str, region: str, key: str, period: str = ALL_TIME) -> int:
    t = attendee_counts.c
    query = select(t.attendees).where(t.scope == scope, t.region == region, t.key == key, t.period == period)
    return conn.execute(query).scalar() or 0


_TABLE_ATTENDEES = select(attendee_counts).where(
    attendee_counts.c.scope.in_(("region", "offer_type")), attendee_counts.c.period == bindparam("period")
)


def table_attendees(conn: Connection, period: str) -> dict[tuple, int]:
    """Attendees of every cell of the published table for one period."""
    cells: dict[tuple, int] = defaultdict(int)
    for row in conn.execute(_TABLE_ATTENDEES, {"period": period}):
        for cell in table_cells(AggregateKey(row.scope, row.region, row.key, period)):
            cells[cell] += row.attendees
    return dict(cells)


def lock_pattern(conn: Connection) -> None:
    """Serialise settling the pattern (SQLite's write transactions already are)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PATTERN_LOCK})


_ALL_CELLS = select(published_cells)
_CELLS_OF_PERIOD = _ALL_CELLS.where(published_cells.c.period == bindparam("period"))


def pattern(conn: Connection, period: str | None = None) -> dict[tuple, str | None]:
    """{cell: reason withheld or None}; a cell absent has no respondents (withheld)."""
    rows = conn.execute(_ALL_CELLS) if period is None else conn.execute(_CELLS_OF_PERIOD, {"period": period})
    return {(row.region, row.offer_type, row.period): row.withheld for row in rows}


_WITHHELD = select(published_cells.c.withheld).where(
    published_cells.c.region == bindparam("region"),
    published_cells.c.offer_type == bindparam("offer_type"),
    published_cells.c.period == bindparam("period"),
)


def withheld_of(conn: Connection, cell: tuple) -> str | None:
    """Why a published cell is withheld, or None when it is shown."""
    region, offer_type, period = cell
    row = conn.execute(_WITHHELD, {"region": region, "offer_type": offer_type, "period": period}).first()
    return BELOW_THRESHOLD if row is None else row.withheld


def save_pattern(conn: Connection, changes: dict[tuple, str | None]) -> None:
    for (region, offer_type, period), withheld in sorted(changes.items()):
        upsert(
            conn,
            published_cells,
            dict(region=region, offer_type=offer_type, period=period, withheld=withheld),
            ("region", "offer_type", "period"),
        )
