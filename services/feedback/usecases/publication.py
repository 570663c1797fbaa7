"""The published feedback table: its suppression pattern, settled in the transaction of each
answer, and the summaries streamed on the compacted national-summary topic.

Published cells are (region | all, offer type | all, month | all time). Every answer adds to
six of them; the pattern is then settled again over every margin of the table
(`disclosure.withhold`) and stored, so readers look it up instead of recomputing it. A
summary is queued for each streamed cell the answer changed and for each streamed cell
whose suppression changed (a region can become withheld because another one got small).
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection

from shared.clock import utcnow
from shared.contracts.feedback import SUMMARY_UPDATED
from shared.outbox import Outbox
from services.feedback.store import aggregates
from shared.disclosure import BELOW_THRESHOLD, THRESHOLD, margin_relations, with_margins, withhold
from services.feedback.domain import SessionInfo, month_of
from services.feedback.figures import ALL, ALL_TIME, Figures, cell_naming, feedback_view, is_streamed, scope_key, table_axes


def touched_cells(session: SessionInfo) -> list[tuple]:
    """The published cells an answer on this session adds to."""
    periods = (ALL_TIME, month_of(session.ends_at.date()))
    return [(region, offer_type, p) for p in periods for region in (ALL, session.region) for offer_type in (ALL, session.offer_type)]


def withheld_reason(pattern: dict, cell: tuple) -> str | None:
    return pattern[cell] if cell in pattern else BELOW_THRESHOLD


def settle(conn: Connection, outbox: Outbox, touched: list[tuple]) -> None:
    """Settle the pattern after an answer; the caller holds `aggregates.lock_pattern`."""
    counts = aggregates.table_counts(conn)
    months = tuple(sorted({month for _, _, month in counts}))
    cells = with_margins(counts, table_axes(months))
    withheld = withhold(cells, _relations(months), THRESHOLD)
    settled = {cell: withheld.get(cell) for cell, n in cells.items() if n > 0}
    before = aggregates.pattern(conn)
    changed = {cell: reason for cell, reason in settled.items() if cell not in before or before[cell] != reason}
    aggregates.save_pattern(conn, changed)
    # A touched cell still withheld for the same reason shows nothing new: not re-sent.
    shown_touched = [cell for cell in touched if settled.get(cell, BELOW_THRESHOLD) is None]
    streamed = sorted({cell for cell in [*shown_touched, *changed] if is_streamed(cell)})
    for period in sorted({cell[2] for cell in streamed}):
        figures = aggregates.table_figures(conn, period)
        for cell in (c for c in streamed if c[2] == period):
            summary = summary_data(cell, figures.get(cell) or Figures.empty("feedback"), withheld_reason(settled, cell))
            outbox.record(conn, SUMMARY_UPDATED, summary)


@lru_cache(maxsize=4)
def _relations(months: tuple) -> list:
    """The table's margins change only when a month is added: built once per set of months."""
    return margin_relations(table_axes(months))


def summary_data(cell: tuple, figures: Figures, withheld: str | None) -> dict:
    """The SUMMARY_UPDATED data of one cell: no attendance, no free text, suppressed as published."""
    view = feedback_view(figures, withheld)
    measures = {m: {"count": v["count"], "mean": v["mean"], "suppressed": False, "distribution": v["distribution"]} for m, v in view["measures"].items()}
    shown = {"respondents": view["respondents"], "suppressed": view["suppressed"], "reason": view["reason"], "measures": measures}
    return {"scope_key": scope_key(cell), **cell_naming(cell), **shown, "updated_at": utcnow()}
