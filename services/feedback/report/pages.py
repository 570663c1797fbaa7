"""Each page of the report as a pure function of what its endpoint publishes (the same dict, in
the same shape) to reportlab flowables: the question, a chart, its data table and the findings.
A page with no data says so in words; a withheld figure reads "fewer than 5", never zero."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Spacer

from services.feedback.report.findings import (
    NOT_AVAILABLE,
    conditions_findings,
    differences_findings,
    group_label,
    learned_findings,
    measure_cell,
    needs_findings,
    quarter_of,
    ranking_of,
)
from services.feedback.report.layout import bullets, chart, heading, paragraph, subheading, table
from services.feedback.report.period import quarter_span
from services.feedback.report.words import (
    MEASURE_NAMES,
    WITHHELD,
    listed,
    need_name,
    offer_type_name,
    rating,
    region_name,
    share,
)
from shared.charts import Bar, bar_chart, line_chart

NO_SESSIONS_YET = "no sessions yet"  # a shown group without a continuity has held no session it could count

QUESTIONS = (
    "1. What have we learned so far?",
    "2. Which development needs are emerging as the most important?",
    "3. Do needs differ between PCNs and regions, and what would meet them?",
    "4. Are we creating the conditions for a productive learning community?",
)
MEASURES = ("overall", "usefulness", "will_apply", "recommend")
MOST_ROWS = 12  # what fits one page beside its chart; the endpoints list every group


def cover(quarter: str, region: str | None, generated_at: datetime) -> list:
    scope = f"Region: {region_name(region)}" if region else "Scope: England, every region"
    return [
        paragraph("Convene", "subheading"),
        heading("Commissioners' report: what the leadership-development programme tells us"),
        paragraph(f"Quarter {quarter}: {quarter_span(quarter)}"),
        paragraph(scope),
        paragraph(f"Generated from live data on {generated_at:%d %B %Y at %H:%M} UTC."),
        Spacer(1, 10),
        subheading("The four questions"),
        bullets([q.split(" ", 1)[1] for q in QUESTIONS]),
        subheading("How to read this report"),
        bullets(
            [
                f'"{WITHHELD}" means the figure is withheld: fewer than 5 people gave it, or showing it would let '
                "someone work out a figure that is. No figure here can be used to find out about one person.",
                "Counts of people are rounded to the nearest 5, and shares and means are worked out from the rounded "
                "counts, exactly as the insight dashboards show them.",
                "A 95 % interval is the range within which the true figure most probably lies: the fewer people "
                "answered, the wider it is. Two figures whose intervals overlap widely may well not differ.",
                'A test result says whether a difference is bigger than chance alone would often produce. "Beyond '
                'what chance would explain" means p below 0.05 after allowing for the number of comparisons made; '
                "it says nothing about why, and a small difference can be clear when many people answered.",
                "Ratings run from 1 (lowest) to 5 (highest).",
            ]
        ),
    ]


def learned_page(learned: dict | None, quarter: str) -> list:
    page = [heading(QUESTIONS[0])]
    if learned is None:
        return page + [paragraph(NOT_AVAILABLE)]
    page.append(
        paragraph(
            "Session feedback in the quarter, nationally and by region, with 95 % intervals; what went well and what "
            "remains are the figures clearly above or below the rest of the country."
        )
    )
    rows = [learned["national"], *[r for r in learned.get("regions", []) if r["region"] is not None]]
    cells = [(row, quarter_of(row, quarter)) for row in rows]
    if quarter in learned.get("quarters", []):
        national = cells[0][1]
        national_mean = None if national is None or national["suppressed"] else _mean(national, "overall")
        bars = [
            Bar(
                region_name(row["region"]),
                _mean(cell, "overall"),
                *_interval(cell, "overall"),
            )
            for row, cell in cells
            if cell is not None  # a place without answers this quarter is no bar at all, not a withheld one
        ]
        page += chart(
            bar_chart(
                bars,
                axis_label="Overall rating (1 to 5), with its 95 % interval",
                limits=(1, 5),
                reference=national_mean,
            ),
            "the overall rating of sessions in each place this quarter, as in the table below; the dashed line is "
            "the national figure.",
        )
        page.append(
            table(
                ["Place", "People", *[MEASURE_NAMES[m].capitalize() for m in MEASURES]],
                [_learned_row(row, cell) for row, cell in cells],
                widths=[2.2, 1.1, 2, 2, 2, 2],
            )
        )
    page += [subheading("Findings"), bullets(learned_findings(learned, quarter))]
    return page


def _mean(cell: dict | None, measure: str) -> float | None:
    if cell is None or cell["suppressed"]:
        return None
    return (cell["measures"].get(measure) or {}).get("mean")


def _interval(cell: dict | None, measure: str) -> tuple:
    if cell is None or cell["suppressed"]:
        return None, None
    found = cell["measures"].get(measure) or {}
    return found.get("low"), found.get("high")


def _learned_row(row: dict, cell: dict | None) -> list[str]:
    place = region_name(row["region"])
    if cell is None:
        return [place, "no answers", *["-"] * len(MEASURES)]
    if cell["suppressed"]:
        return [place, WITHHELD, *["-"] * len(MEASURES)]
    return [place, str(cell["respondents"]), *[measure_cell(m, cell["measures"].get(m)) for m in MEASURES]]


def needs_page(needs: dict | None, quarter: str) -> list:
    page = [heading(QUESTIONS[1])]
    if needs is None:
        return page + [paragraph(NOT_AVAILABLE)]
    page.append(
        paragraph(
            "The needs ranking from the needs survey, and the share of people rating each need 4 or 5 over the last "
            "four quarters; a need is rising only where a trend test says so."
        )
    )
    ranking = ranking_of(needs, quarter)
    trends = [t for t in needs.get("trends", []) if any(s is not None for s in t["high_shares"])]
    if ranking is not None and trends:
        page += chart(
            line_chart(
                needs["quarters"],
                {need_name(t["need"]): t["high_shares"] for t in trends},
                axis_label="Share rating it 4 or 5",
                limits=(0, 1),
            ),
            "the share of people rating each need 4 or 5, quarter by quarter; a withheld quarter breaks the line.",
        )
    if ranking is not None:
        if ranking["suppressed"]:
            rows = [["-", f"all needs ({WITHHELD} people answered)", "-", "-"]]
        else:
            rows = [
                [str(n["rank"]), need_name(n["need"]), rating(n["mean"]), share(n["high_share"])]
                for n in sorted(ranking["needs"], key=lambda n: n["rank"])
            ]
        page.append(table(["Rank", "Need", "Mean rating", "Share rating it 4 or 5"], rows, widths=[1, 3, 1.5, 2]))
    page += [subheading("Findings"), bullets(needs_findings(needs, quarter))]
    return page


def differences_page(differences: dict | None) -> list:
    page = [heading(QUESTIONS[2])]
    if differences is None:
        return page + [paragraph(NOT_AVAILABLE)]
    page.append(
        paragraph(
            "Every needs answer so far: whether the needs rated high differ between regions and between PCNs (a "
            "chi-square test, with Cramér's V for how large the difference is), PCNs grouped by similar needs, and "
            "the offer types that would meet them."
        )
    )
    tests = [(name, differences.get(key)) for name, key in (("Between regions", "regions"), ("Between PCNs", "pcns"))]
    tests = [(name, test) for name, test in tests if test]
    groups = differences.get("groups", [])
    if groups:
        needs = list(groups[0]["profile"])
        page += chart(
            line_chart(
                # every other name a line lower, so seven names fit side by side
                [("\n" if i % 2 else "") + need_name(n) for i, n in enumerate(needs)],
                {f"Group {g['group']}": [g["profile"].get(n) for n in needs] for g in groups[:MOST_ROWS]},
                axis_label="Share rating it 4 or 5",
                limits=(0, 1),
            ),
            "each group's needs profile: the mean share of its PCNs rating each need 4 or 5.",
        )
    elif tests:
        page += chart(
            bar_chart(
                [Bar(name, test["cramers_v"]) for name, test in tests],
                axis_label="Cramér's V: how much needs differ (0 none, 1 entirely)",
                limits=(0, 1),
            ),
            "the size of the difference in needs between regions and between PCNs (Cramér's V).",
        )
    if groups:
        page.append(
            table(
                ["Group", "PCNs", "Needs that set it apart", "Offer types that meet them"],
                [_group_row(g) for g in groups[:MOST_ROWS]],
                widths=[1, 3, 3, 3],
            )
        )
        if len(groups) > MOST_ROWS:
            page.append(
                paragraph(f"And {len(groups) - MOST_ROWS} more groups: see the differences dashboard.", "small")
            )
    page += [subheading("Findings"), bullets(differences_findings(differences))]
    return page


def _group_row(group: dict) -> list[str]:
    codes = [p["pcn_code"] for p in group["pcns"]]
    shown = ", ".join(codes[:6]) + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")
    return [
        str(group["group"]),
        shown,
        listed([need_name(n) for n in group.get("distinctive_needs", [])]) or "none",
        listed([offer_type_name(t) for t in group.get("offer_types", [])]) or "-",
    ]


def conditions_page(conditions: dict | None, quarter: str) -> list:
    page = [heading(QUESTIONS[3])]
    if conditions is None:
        return page + [paragraph(NOT_AVAILABLE)]
    page.append(
        paragraph(
            f"Each group (action learning set, programme cohort) in {quarter}: continuity (the share of sessions "
            "members attended), members joining and leaving, and groups at risk; then whether groups that hold "
            "together report more trust and shared direction."
        )
    )
    groups = conditions.get("groups", [])[:MOST_ROWS]
    if groups:
        page += chart(
            bar_chart(
                [
                    Bar(group_label(g), None, missing=None)
                    if g["suppressed"]
                    else Bar(group_label(g), g.get("continuity"), missing=NO_SESSIONS_YET)
                    for g in groups
                ],
                axis_label="Continuity: share of sessions members attended",
                limits=(0, 1),
            ),
            f'each group\'s continuity this quarter, as in the table below; "{WITHHELD}" marks a withheld group.',
        )
        page.append(
            table(
                ["Group", "Members", "Continuity", "Joined", "Left", "At risk"],
                [_condition_row(g) for g in groups],
                widths=[4, 1.3, 1.5, 1, 1, 1],
            )
        )
        if len(conditions["groups"]) > MOST_ROWS:
            page.append(
                paragraph(
                    f"And {len(conditions['groups']) - MOST_ROWS} more groups: see the conditions dashboard.", "small"
                )
            )
    page += [subheading("Findings"), bullets(conditions_findings(conditions))]
    return page


def _condition_row(group: dict) -> list[str]:
    if group["suppressed"]:
        return [group_label(group), WITHHELD, "-", "-", "-", "-"]
    return [
        group_label(group),
        _count(group.get("size")),
        share(group.get("continuity")) if group.get("continuity") is not None else "-",
        _count(group.get("joined")),
        _count(group.get("left")),
        "yes" if group.get("at_risk") else "no",
    ]


def _count(value) -> str:
    return "-" if value is None else str(value)
