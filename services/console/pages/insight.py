"""The commissioners' insight dashboards: the national team's (every region, or one) and a regional
administrator's (their region beside England's figure). Four questions, each a section with one
chart and the tables it is drawn from, read from feedback's /v1/insight/* with the person's own
token, so the console shows only figures feedback publishes to them, withheld cells included.

Filters are a GET form (remembered in the address); every table downloads as CSV and the whole
dashboard as one Excel workbook, from the same table definitions as the page (insight_tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, abort, g, render_template, request

from services.console import auth, forms
from services.console.insight_charts import conditions_chart, differences_chart, learned_chart, needs_chart
from services.console.insight_tables import (
    NATIONAL_AREA,
    Table,
    area,
    conditions_tables,
    csv_text,
    difference_in_words,
    differences_tables,
    learned_tables,
    need,
    needs_tables,
    shown,
    workbook,
)
from services.console.pages.blueprint import for_roles, pages
from services.console.upstream import call, fetch_file
from services.console.wording import LONDON, OFFER_TYPES
from shared.contracts.vocabulary import REGION_NAMES

READERS = ("national", "regional_admin")
FILTERS = {"region": "Region", "offer_type": "Offer type", "from": "From quarter", "to": "To quarter"}
QUARTERS_OFFERED = 8  # the filters' choice of quarters: the last two years
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Section:
    """One question: its chart, tables and sentences, or why it shows none."""

    key: str
    heading: str
    available: bool = True
    refused: bool = False
    chart: str | None = None
    tables: list[Table] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    at_risk: list[Table] = field(default_factory=list)


# --- pure ----------------------------------------------------------------------------------------


def quarter_of(moment: datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def recent_quarters(today: datetime, count: int = QUARTERS_OFFERED) -> list[str]:
    """The last `count` calendar quarters up to today's, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def chosen_filters(args, role: str) -> dict:
    """The filters the form sent that apply to the person (a regional administrator sees their own region)."""
    chosen = {name: (args.get(name) or "").strip() for name in FILTERS}
    if role != "national":
        chosen.pop("region")
    return {name: value for name, value in chosen.items() if value}


def _only(filters: dict, *names: str) -> dict:
    return {name: filters[name] for name in names if name in filters}


# --- reading feedback ------------------------------------------------------------------------------


def _read(path: str, params: dict, section: Section, errors: forms.FormErrors) -> dict | None:
    answer = call("feedback", "GET", path, auth.token(), params=params)
    if answer.status == 404:
        section.available = False
        return None
    if answer.status >= 400:
        section.refused = True  # a filter feedback refused: the error summary names it, once for every section
        found = forms.from_problem(answer.body, FILTERS)
        errors.summary += [item for item in found.summary if item not in errors.summary]
        errors.by_field = found.by_field | errors.by_field
        return None
    return answer.body


def learned_section(filters: dict, errors: forms.FormErrors) -> Section:
    section = Section("learned", "What have we learned so far?")
    body = _read("/v1/insight/learned", _only(filters, "region", "offer_type", "from", "to"), section, errors)
    if body is None:
        return section
    section.tables = learned_tables(body)
    focus = area(body["regions"][0]["region"]) if len(body["regions"]) == 1 else NATIONAL_AREA
    published = [q for q in body["national"]["quarters"] if not q["suppressed"]]
    latest = (published[-1]["measures"].get("overall") or {}).get("mean") if published else None
    section.chart = learned_chart(section.tables[0], focus, latest if focus != NATIONAL_AREA else None)
    if body.get("compared"):
        section.sentences = [
            f"Each region and offer type is compared with the rest of England ({body['compared']} comparisons, "
            "allowing for making so many)."
        ]
    return section


def needs_section(filters: dict, errors: forms.FormErrors) -> Section:
    section = Section("needs", "Which needs are emerging?")
    body = _read("/v1/insight/needs", _only(filters, "region", "from", "to"), section, errors)
    if body is None:
        return section
    section.tables = needs_tables(body)
    section.chart = needs_chart(section.tables[0], body.get("quarters") or [])
    emerging = [need(n) for n in body.get("emerging") or []]
    section.sentences = [
        "Emerging needs: " + ", ".join(emerging) + "." if emerging else "No need is clearly rising in this period."
    ]
    return section


def differences_section(filters: dict, errors: forms.FormErrors) -> Section:
    section = Section("differences", "Do needs differ between regions and PCNs?")
    body = _read("/v1/insight/differences", _only(filters, "region"), section, errors)
    if body is None:
        return section
    section.tables = differences_tables(body)
    section.chart = differences_chart(section.tables[2])
    section.sentences = [
        difference_in_words(body[key], between)
        for key, between in (("regions", "regions"), ("pcns", "PCNs"))
        if body.get(key)
    ]
    return section


def conditions_section(filters: dict, errors: forms.FormErrors) -> Section:
    section = Section("conditions", "Are the conditions right for a learning community?")
    if filters.get("offer_type") == "coaching":  # one-to-one: no group, so feedback has no conditions to give
        section.sentences = ["Coaching is one to one: it forms no group whose conditions could be read."]
        return section
    body = _read("/v1/insight/conditions", _only(filters, "region", "offer_type"), section, errors)
    if body is None:
        return section
    section.tables = conditions_tables(body, offer_titles())
    section.chart = conditions_chart(section.tables[0])
    section.at_risk = [section.tables[1]] if section.tables[1].rows else []
    summary = body.get("summary") or {}
    if summary:
        section.sentences = [
            f"{summary.get('shown', 0)} of {summary.get('groups', 0)} groups shown "
            f"({summary.get('withheld', 0)} withheld because they are small); {summary.get('at_risk', 0)} at risk."
        ]
    return section


def offer_titles() -> dict[str, str]:
    """Offer titles the person may read, to name the groups; a group whose offer they may not read keeps its id."""
    params = {"limit": 100} | ({"region": g.person.region} if g.person.region else {})
    answer = call("enrolment", "GET", "/v1/offers", auth.token(), params=params)
    return {o["id"]: o["title"] for o in answer.body.get("items", [])} if answer.status == 200 else {}


def dashboard(filters: dict) -> tuple[list[Section], forms.FormErrors]:
    errors = forms.FormErrors()
    readers = (learned_section, needs_section, differences_section, conditions_section)
    return [read(filters, errors) for read in readers], errors


# --- pages -----------------------------------------------------------------------------------------


@pages.get("/insight")
@for_roles(*READERS)
def insight():
    filters = chosen_filters(request.args, g.person.role)
    sections, errors = dashboard(filters)
    quarters = recent_quarters(datetime.now(LONDON))
    report_quarter = filters.get("to") or quarters[-2]  # the last whole quarter
    return render_template(
        "insight/dashboard.html",
        sections=sections,
        errors=errors,
        form=filters,
        national=g.person.role == "national",
        region_name=REGION_NAMES.get(g.person.region or "", g.person.region),
        regions={region.value: name for region, name in REGION_NAMES.items()},
        types=OFFER_TYPES,
        quarters=quarters,
        report_quarter=report_quarter,
        shown=shown,
    )


def _tables(filters: dict) -> list[Table]:
    sections, errors = dashboard(filters)
    if errors:
        abort(400, " ".join(item["text"] for item in errors.summary))
    return [table for section in sections for table in section.tables]


@pages.get("/insight/<key>.csv")
@for_roles(*READERS)
def insight_csv(key: str):
    filters = chosen_filters(request.args, g.person.role)
    found = [table for table in _tables(filters) if table.key == key]
    if not found:
        abort(404)
    return Response(
        "\ufeff" + csv_text(found[0]),  # the byte-order mark makes Excel read UTF-8 (Cramér's é)
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="convene-{key}.csv"'},
    )


@pages.get("/insight.xlsx")
@for_roles(*READERS)
def insight_workbook():
    filters = chosen_filters(request.args, g.person.role)
    content = workbook(_tables(filters), "Convene insight")
    return Response(
        content, mimetype=XLSX, headers={"Content-Disposition": 'attachment; filename="convene-insight.xlsx"'}
    )


@pages.get("/insight/report.pdf")
@for_roles(*READERS)
def insight_report():
    params = {"quarter": request.args.get("quarter", "")}
    if g.person.role == "national" and request.args.get("region"):
        params["region"] = request.args["region"]
    answer = fetch_file("feedback", "/v1/insight/report", auth.token(), params=params)
    if answer.status == 404:
        message = "The quarterly report is not available yet. The dashboard shows the same figures."
        return render_template("errors/simple.html", title="Report not available yet", message=message), 404
    if answer.status >= 400:
        problem = forms.from_problem(answer.problem, {"quarter": "Quarter"})
        message = " ".join(item["text"] for item in problem.summary)
        return render_template("errors/simple.html", title="Sorry, there is a problem", message=message), 400
    disposition = answer.disposition or 'attachment; filename="convene-insight.pdf"'
    return Response(answer.content, mimetype="application/pdf", headers={"Content-Disposition": disposition})
