"""The published feedback table: its suppression pattern, settled in the transaction of each
answer, and the summaries streamed on the compacted national-summary topic.

Published cells are (region | all, offer type | all, month | all time). Every answer adds to
eight of them (domain.aggregates); the pattern is then settled again over every margin of
the table (domain.disclosure.settle) and stored, so readers look it up instead of
recomputing it. A summary is queued for each streamed cell the answer changed and for each
streamed cell whose suppression changed (a region can become withheld because another one
got small).
"""

from __future__ import annotations

from services.feedback.domain.disclosure import cell_naming, scope_key, withheld_reason
from services.feedback.domain.disclosure import settle as settle_pattern
from services.feedback.domain.figures import Figures, feedback_view
from services.feedback.store import aggregates
from shared.clock import utcnow
from shared.contracts.feedback import SUMMARY_UPDATED
from shared.unit import Unit


def settle(unit: Unit, touched: list[tuple]) -> None:
    """Settle the pattern after `touched` cells changed; the caller holds the pattern's lock
    (store.aggregates.add took it)."""
    conn = unit.conn
    settlement = settle_pattern(aggregates.table_counts(conn), aggregates.pattern(conn))
    aggregates.save_pattern(conn, settlement.changed)
    streamed = settlement.streamed(touched)
    for period in sorted({cell[2] for cell in streamed}):
        figures = aggregates.table_figures(conn, period)
        for cell in (c for c in streamed if c[2] == period):
            unit.record(
                SUMMARY_UPDATED,
                summary_data(
                    cell, figures.get(cell) or Figures.empty("feedback"), withheld_reason(settlement.settled, cell)
                ),
            )


def summary_data(cell: tuple, figures: Figures, withheld: str | None) -> dict:
    """The SUMMARY_UPDATED data of one cell: no attendance, no free text, suppressed as published."""
    view = feedback_view(figures, withheld)
    measures = {
        m: {"count": v["count"], "mean": v["mean"], "suppressed": False, "distribution": v["distribution"]}
        for m, v in view["measures"].items()
    }
    shown = {
        "respondents": view["respondents"],
        "suppressed": view["suppressed"],
        "reason": view["reason"],
        "measures": measures,
    }
    return {"scope_key": scope_key(cell), **cell_naming(cell), **shown, "updated_at": utcnow()}
