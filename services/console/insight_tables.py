"""The insight dashboards' tables, each defined once (key, caption, headers, rows) from feedback's
answer and rendered from that one definition to the page's <table>, to CSV and to an Excel
workbook, so the three faces can never disagree. Pure, no I/O.

A cell is a number, a text, `None` (nothing to say: an interval the service could not compute)
or `WITHHELD`: a figure feedback withheld under the disclosure policy, which every face shows
as the words "fewer than 5", never as zero or as a blank that could be read as one."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from services.console.wording import NEEDS, OFFER_TYPES
from shared.charts import WITHHELD as WITHHELD_WORDS
from shared.contracts.vocabulary import NATIONAL, REGION_NAMES


class Withheld:
    """A figure withheld by the disclosure policy (one instance: `WITHHELD`)."""

    def __repr__(self) -> str:
        return "WITHHELD"


WITHHELD = Withheld()
NOT_KNOWN = "not known"  # None: a figure the service could not give (too few answers for an interval)
NATIONAL_AREA = "England"
NATIONAL_OFFERS = "National offers"  # the offers the national team runs for every region
MEASURES = {
    "overall": "Overall rating",
    "usefulness": "Usefulness",
    "will_apply": "Will apply what was learnt",
    "recommend": "Would recommend (very good or good)",
}
OUTCOME_MEASURES = {
    "confidence": "Confidence as a leader",
    "isolation": "Isolation in the role",
    "trust_in_group": "Trust in the group",
    "sense_of_direction": "Sense of direction",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula

Cell = str | int | float | None | Withheld


@dataclass(frozen=True)
class Table:
    """One table of a dashboard. `key` names its download (/insight/<key>.csv) and its sheet;
    `numeric` marks the columns holding numbers (right-aligned on the page)."""

    key: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: frozenset[int] = frozenset()


# --- words ---------------------------------------------------------------------------------------


def area(region: str | None) -> str:
    if region == NATIONAL:
        return NATIONAL_OFFERS
    return NATIONAL_AREA if region is None else REGION_NAMES.get(region, region)


def offer_type(code: str | None) -> str:
    return "All offer types" if code is None else OFFER_TYPES.get(code, code)


def need(code: str) -> str:
    return NEEDS.get(code, code)


def percent(share: float | None) -> float | None:
    """A share (0 to 1) as a percentage with one decimal, as every face shows it."""
    return None if share is None else round(share * 100, 1)


def p_words(p: float) -> str:
    """A p-value as people read it: p < 0.001, p < 0.01, or p = 0.03 (a p of 0 is one feedback gave
    only as below 0.01)."""
    if p == 0:
        return "p < 0.01"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return "p < 0.01"
    return f"p = {p:.2f}"


def difference_in_words(test: Mapping, between: str) -> str:
    """A chi-square test of needs read out: "Needs differ between regions: a small difference
    (Cramér's V 0.12, p < 0.01)"."""
    said = (
        f"Needs differ between {between}" if test["significant"] else f"No clear difference in needs between {between}"
    )
    size = "no real" if test["effect_size"] == "negligible" else f"a {test['effect_size']}"
    words = f"{said}: {size} difference (Cramér's V {test['cramers_v']:.2f}, {p_words(test['p_value'])})"
    if test.get("cells_expected_below_5"):
        words += "; some expected counts are below 5, so read the p-value with care"
    return words + "."


NO_ASSOCIATION = {
    "too_few_groups": "Too few groups with answers to tell.",
    "no_spread": "Continuity or the answers hardly vary between groups, so there is nothing to compare.",
}


def association_in_words(association: Mapping) -> str:
    """Spearman's correlation of continuity with an outcome, read out: its direction, strength and p."""
    rho, p = association.get("rho"), association.get("p_value")
    if rho is None or p is None:
        return NO_ASSOCIATION.get(association.get("reason") or "", "Not enough to tell.")
    measure = OUTCOME_MEASURES.get(association["measure"], association["measure"]).lower()
    if p >= 0.05:
        return f"No clear link between continuity and {measure} (rho {rho:.2f}, {p_words(p)})."
    more = "more" if rho > 0 else "less"
    return f"Groups that hold together better report {more} {measure} (rho {rho:.2f}, {p_words(p)})."


# --- rendering -----------------------------------------------------------------------------------


def shown(cell: Cell) -> str:
    """A cell's text on the page."""
    if cell is WITHHELD:
        return WITHHELD_WORDS
    if cell is None:
        return NOT_KNOWN
    if isinstance(cell, float):
        return f"{cell:.2f}".rstrip("0").rstrip(".") if cell != int(cell) else f"{cell:.0f}"
    return str(cell)


def _safe_text(text: str) -> str:
    """A text a spreadsheet will show, never run: one starting like a formula gets a leading '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _exported(cell: Cell) -> str | int | float:
    if cell is WITHHELD:
        return WITHHELD_WORDS
    if cell is None:
        return ""
    if isinstance(cell, str):
        return _safe_text(cell)
    return cell


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe_text(h) for h in table.headers])
    writer.writerows([_exported(c) for c in row] for row in table.rows)
    return out.getvalue()


def workbook(tables: Sequence[Table], title: str) -> bytes:
    """Every table as one sheet (named by its key): the caption above, the header row bold, numbers
    as numbers, withheld cells as the words "fewer than 5"."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([_safe_text(table.caption)])
        sheet.append([_safe_text(h) for h in table.headers])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_exported(c) for c in row])
        sheet.freeze_panes = "A3"
    book.properties.title = title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Q1 what have we learned so far ----------------------------------------------------------------


def _measure(quarter: Mapping, name: str) -> Mapping:
    return (quarter.get("measures") or {}).get(name) or {}


def _figures(quarter: Mapping, *values) -> tuple[Cell, ...]:
    return tuple(WITHHELD for _ in values) if quarter["suppressed"] else values


def learned_tables(body: Mapping) -> list[Table]:
    rows = []
    for row in [body["national"], *body["regions"]]:
        for q in row["quarters"]:
            overall, recommend = _measure(q, "overall"), _measure(q, "recommend")
            figures = _figures(
                q,
                q.get("respondents"),
                overall.get("mean"),
                overall.get("low"),
                overall.get("high"),
                percent(recommend.get("positive_share")),
            )
            rows.append((q["quarter"], area(row["region"]), *figures))
    tables = [
        Table(
            "feedback-by-quarter",
            f"Session feedback by quarter, {offer_type(body.get('offer_type')).lower()}",
            (
                "Quarter",
                "Area",
                "Respondents",
                "Mean overall rating (1 to 5)",
                "95% interval from",
                "95% interval to",
                "Would recommend (%)",
            ),
            tuple(rows),
            frozenset({2, 3, 4, 5, 6}),
        ),
        _findings("went-well", "What went well: clearly better than the rest of England", body.get("went_well")),
        _findings("remains", "What remains: clearly worse than the rest of England", body.get("remains")),
    ]
    if body.get("outcomes"):
        tables.append(outcomes_table(body["outcomes"]))
    return tables


def _findings(key: str, caption: str, findings: Sequence[Mapping] | None) -> Table:
    rows = tuple(
        (
            area(f.get("region")),
            offer_type(f.get("offer_type")),
            MEASURES.get(f["measure"], f["measure"]),
            f["sentence"],
        )
        for f in findings or []
    )
    return Table(key, caption, ("Area", "Offer type", "Measure", "Finding"), rows)


def outcomes_table(outcomes: Mapping) -> Table:
    """Outcome changes (after less before) by quarter of the after answer, England and each region."""
    areas = [(None, outcomes.get("national") or [])]
    areas += [(r["region"], r.get("quarters") or []) for r in outcomes.get("regions") or []]
    rows = []
    for region, quarters in areas:
        for q in quarters:
            if q["suppressed"]:
                rows.append((q["quarter"], area(region), "All measures", *_figures(q, None, None, None, None)))
                continue
            for name, m in (q.get("measures") or {}).items():
                figures = (q.get("respondents"), m.get("change"), m.get("low"), m.get("high"))
                rows.append((q["quarter"], area(region), OUTCOME_MEASURES.get(name, name), *figures))
    return Table(
        "outcome-changes",
        "Outcome measures: change from before to after, by quarter",
        ("Quarter", "Area", "Measure", "Respondents", "Change", "95% interval from", "95% interval to"),
        tuple(rows),
        frozenset({3, 4, 5, 6}),
    )


# --- Q2 which needs are emerging --------------------------------------------------------------------


def needs_tables(body: Mapping) -> list[Table]:
    ranking = []
    for q in body.get("ranking") or []:
        if q["suppressed"]:
            ranking.append((q["quarter"], WITHHELD, "All needs", WITHHELD, WITHHELD, WITHHELD))
            continue
        for n in q["needs"]:
            ranking.append(
                (q["quarter"], q.get("respondents"), need(n["need"]), n["rank"], n["mean"], percent(n["high_share"]))
            )
    quarters = list(body.get("quarters") or [])
    trends = tuple(
        (
            need(t["need"]),
            t["direction"].capitalize(),
            *(WITHHELD if s is None else percent(s) for s in t["high_shares"]),
            None if t["adjusted_p"] is None else p_words(t["adjusted_p"]),
        )
        for t in body.get("trends") or []
    )
    regions = tuple(
        (area(r["region"]), WITHHELD if r["suppressed"] else ", ".join(need(n) for n in r["emerging"]) or "None")
        for r in body.get("regions") or []
    )
    tables = [  # the trends first: the question's chart is drawn from them and stands above them
        Table(
            "needs-trends",
            "Share rating each need 4 or 5, by quarter, and its trend",
            ("Need", "Trend", *(f"{q} (%)" for q in quarters), "Adjusted p-value"),
            trends,
            frozenset(range(2, len(quarters) + 3)),
        ),
        Table(
            "needs-ranking",
            "Development needs ranked by quarter",
            ("Quarter", "Respondents", "Need", "Rank", "Mean rating (1 to 5)", "Rating it 4 or 5 (%)"),
            tuple(ranking),
            frozenset({1, 3, 4, 5}),
        ),
    ]
    if regions:
        tables.append(
            Table("emerging-by-region", "Emerging needs in each region", ("Region", "Emerging needs"), regions)
        )
    return tables


# --- Q3 do needs differ ------------------------------------------------------------------------------


def differences_tables(body: Mapping) -> list[Table]:
    tests = []
    for key, between in (("regions", "regions"), ("pcns", "PCNs")):
        test = body.get(key)
        if test:
            tests.append(
                (
                    f"Between {between}",
                    len(test["rows"]),
                    test["n"],
                    test["cramers_v"],
                    p_words(test["p_value"]),
                    difference_in_words(test, between),
                )
            )
    groups = tuple(
        (
            f"Group {g['group']}",
            ", ".join(p["pcn_code"] for p in g["pcns"]),
            ", ".join(need(n) for n in g["distinctive_needs"]) or "None stand out",
            ", ".join(offer_type(t) for t in g["offer_types"]) or "None",
        )
        for g in body.get("groups") or []
    )
    profile = tuple(
        (f"Group {g['group']}", need(code), percent(share))
        for g in body.get("groups") or []
        for code, share in g["profile"].items()
    )
    joint = tuple((need(n),) for n in body.get("joint_needs") or [])
    return [
        Table(
            "needs-differ",
            "Do needs differ? Chi-square tests of the needs rated 4 or 5",
            ("Compared", "Compared areas", "Answers", "Cramér's V", "p-value", "In words"),
            tuple(tests),
            frozenset({1, 2, 3}),
        ),
        Table(
            "pcn-groups",
            "PCNs grouped by their needs, and the offer types that meet them",
            ("Group", "PCNs", "Needs that stand out", "Offer types that meet them"),
            groups,
        ),
        Table(
            "group-needs",
            "Share of each group's answers rating a need 4 or 5",
            ("Group", "Need", "Rating it 4 or 5 (%)"),
            profile,
            frozenset({2}),
        ),
        Table("joint-needs", "Needs rated 4 or 5 by at least half of every PCN", ("Need",), joint),
    ]


# --- Q4 conditions for a learning community ---------------------------------------------------------


def conditions_tables(body: Mapping, titles: Mapping[str, str]) -> list[Table]:
    def name(group: Mapping) -> str:
        return titles.get(group["group_id"], group["group_id"])

    # The pooled attendance share reaches only the region's administrator, who keeps the register.
    pooled = body.get("scope") == "region"
    rows = []
    for g in body.get("groups") or []:
        figures = (g.get("size"), g.get("joined"), g.get("left"), percent(g.get("continuity")))
        figures += (percent(g.get("attendance_share")),) if pooled else ()
        shown_figures = tuple(WITHHELD for _ in figures) if g["suppressed"] else figures
        at_risk = WITHHELD if g["suppressed"] else ("Yes" if g.get("at_risk") else "No")
        rows.append((name(g), area(g.get("region")), offer_type(g.get("offer_type")), *shown_figures, at_risk))
    at_risk = tuple(
        (name(g), area(g.get("region")), " ".join(r["reason"] for r in g.get("risks") or []))
        for g in body.get("at_risk") or []
    )
    associations = tuple(
        (
            OUTCOME_MEASURES.get(a["measure"], a["measure"]),
            a.get("groups"),
            a.get("rho"),
            a.get("low"),
            a.get("high"),
            None if a.get("p_value") is None else p_words(a["p_value"]),
            association_in_words(a),
        )
        for a in body.get("associations") or []
    )
    return [
        Table(
            "learning-groups",
            "Groups and how well they hold together",
            (
                "Group",
                "Region",
                "Offer type",
                "Members",
                "Joined",
                "Left",
                "Continuity (%)",
                *(("Attendance (%)",) if pooled else ()),
                "At risk",
            ),
            tuple(rows),
            frozenset({3, 4, 5, 6, 7} if pooled else {3, 4, 5, 6}),
        ),
        Table("groups-at-risk", "Groups at risk, and why", ("Group", "Region", "Why"), at_risk),
        Table(
            "continuity-associations",
            "Does continuity go with trust and a sense of direction? (Spearman's rank correlation)",
            (
                "Outcome measure",
                "Groups",
                "Spearman's rho",
                "95% interval from",
                "95% interval to",
                "p-value",
                "In words",
            ),
            associations,
            frozenset({1, 2, 3, 4}),
        ),
    ]
