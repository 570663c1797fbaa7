"""The commissioners' insight dashboards in a real browser against the real stack: offers, sessions
and attendance reach feedback as events over the broker, attendees answer feedback and the needs
survey through feedback's API, and the national team and London's administrator read the
dashboards. Each chart agrees with its table, a small region's quarter reads "fewer than 5" in
both, the filters change what is shown and stay in the address, a filter feedback refuses is
named in the error summary, and the CSV and Excel downloads hold the table's rows. Every page
passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from services.console.pages.insight import quarter_of
from services.console.wording import LONDON
from shared.contracts.enrolment import OFFER_PUBLISHED, PARTICIPANT_REGISTERED
from shared.contracts.scheduling import ATTENDANCE_RECORDED, SESSION_SCHEDULED
from tests.e2e.console import SCREENSHOTS, heading, snap
from tests.harness import eventually

NOW = datetime.now(UTC).replace(microsecond=0)
RECENT, EARLIER = NOW - timedelta(days=1), NOW - timedelta(days=100)  # two quarters; recorded late, still open
HIGH = [{"overall": 5, "usefulness": 5, "will_apply": 4, "recommend": "very_good"}, {"overall": 4, "usefulness": 4,
        "will_apply": 5, "recommend": "good"}]  # fmt: skip
LOW = [{"overall": 2, "usefulness": 2, "will_apply": 3, "recommend": "poor"}, {"overall": 1, "usefulness": 3,
       "will_apply": 2, "recommend": "neither"}]  # fmt: skip
BASE = dict.fromkeys(("leadership", "collaboration", "dealing_with_conflict", "innovation", "teamwork", "strategy",
                      "engagement"), 2)  # fmt: skip
LEADERS = BASE | {"leadership": 5, "strategy": 4}
TEAMS = BASE | {"teamwork": 5, "dealing_with_conflict": 4}


def quarter(moment: datetime) -> str:
    return quarter_of(moment.astimezone(LONDON))


def _publish(service, event_type, data: dict) -> None:
    """Another service's event through its own outbox: its relay puts it on the broker."""
    with service.runtime.db.transaction() as conn:
        service.runtime.outbox.record(conn, event_type, data)


class Seeder:
    def __init__(self, stack):
        self.stack, self.people = stack, 0

    def person(self) -> str:
        self.people += 1
        return f"00000000-0000-4000-8000-{self.people:012d}"

    def held(self, region: str, offer_type: str, ended: datetime, answers: list[dict], count: int) -> None:
        """A session of a new offer held at `ended`, attendance recorded now, and `count` attendees' feedback."""
        offer_id, session_id = self.person(), self.person()
        offer = {"offer_id": offer_id, "region": region, "offer_type": offer_type, "title": "Set", "capacity": 20}
        _publish(self.stack.enrolment, OFFER_PUBLISHED, offer | {"status": "published"})
        times = {"starts_at": (ended - timedelta(hours=2)).isoformat(), "ends_at": ended.isoformat()}
        session = {"session_id": session_id, "offer_id": offer_id, "region": region, "kind": "group"}
        # recorded now, so feedback on the earlier quarter's session is still open
        details = {"sequence": 0, "status": "scheduled", "recorded_at": NOW.isoformat()}
        _publish(self.stack.scheduling, SESSION_SCHEDULED, session | times | details)
        people = [self.person() for _ in range(count)]
        for person in people:
            record = {"session_id": session_id, "offer_id": offer_id, "region": region, "participant_id": person}
            when = {"session_starts_at": times["starts_at"], "session_ends_at": times["ends_at"]}
            recorded = {"attendance": "present", "recorded_at": NOW.isoformat()}
            _publish(self.stack.scheduling, ATTENDANCE_RECORDED, record | when | recorded)
        for i, person in enumerate(people):
            body = answers[i % len(answers)] | {"anonymous": i % 2 == 0}
            self._answered(f"/v1/sessions/{session_id}/feedback", body, region, person)

    def needs(self, region: str, pcn: str, ratings: dict, count: int) -> None:
        """`count` people of a PCN registered in enrolment's events, each answering the needs survey."""
        for _ in range(count):
            person = self.person()
            data = {"participant_id": person, "region": region, "pcn_code": pcn, "role": "gp"}
            _publish(self.stack.enrolment, PARTICIPANT_REGISTERED, data | {"leadership_experience": "none"})
            self._answered("/v1/needs-surveys/responses", {"ratings": ratings, "pcn_code": pcn}, region, person)

    def _answered(self, path: str, body: dict, region: str, person: str) -> None:
        """Answered once feedback has applied the events that let the person answer."""
        headers = self.stack.token("participant", region, person)
        last = []

        def taken() -> bool:
            last[:] = [self.stack.feedback.client.post(path, json=body, headers=headers)]
            return last[0].status_code == 201

        try:
            eventually(taken, timeout=60, message=f"feedback to take {person}'s answer to {path}")
        except AssertionError as failed:
            raise AssertionError(f"{failed}: {last[0].status_code} {last[0].json}") from None


@pytest.fixture
def seeded(console_stack):
    seed = Seeder(console_stack)
    for moment in (EARLIER, RECENT):
        seed.held("Y56", "coaching", moment, HIGH, 10)
        seed.held("Y58", "action_learning_set", moment, LOW, 10)
    seed.held("Y60", "regional_programme", RECENT, HIGH, 3)  # the Midlands' 3 answers: withheld
    seed.needs("Y56", "U10001", LEADERS, 6)
    seed.needs("Y56", "U10002", LEADERS, 6)
    seed.needs("Y60", "U20001", TEAMS, 6)
    seed.needs("Y60", "U20002", TEAMS, 6)
    return console_stack


def _section(page, key: str):
    return page.locator(f"section#{key}")


def _table(page, key: str) -> list[list[str]]:
    """A dashboard table's body rows, as the page shows them."""
    rows = page.locator(f'[data-table="{key}"] tbody tr')
    return [[cell.strip() for cell in row.locator("td, th").all_inner_texts()] for row in rows.all()]


def _same(value) -> str:
    """A cell as text, numbers without trailing zeros, as the page shows them."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    text = str(value or "")
    return re.sub(r"^(-?\d+\.\d*?)0+$", r"\1", text).rstrip(".") if re.fullmatch(r"-?\d+\.\d+", text) else text


def _quarter_said(row: list[str]) -> str:
    """A quarter's row of the feedback table as its chart reads it out: the mean and, if shown, its interval."""
    withheld = row[4] in ("fewer than 5", "not known")
    return f"{row[0]}: {row[3]}" + ("" if withheld else f" (95% interval {row[4]} to {row[5]})")


def _chart_description(section) -> str:
    svg = section.locator('svg[role="img"]')
    expect(svg).to_have_count(1)
    return svg.locator("desc").text_content()


def _download(page, name) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name=name).click()
    return Path(download.value.path()).read_bytes()


def _not_yet_or_shown(page, key: str) -> None:
    """A question whose endpoint feedback may not have yet: "Not available yet", or a chart with its table."""
    section = _section(page, key)
    if section.get_by_text("Not available yet").count():
        expect(section.locator("table")).to_have_count(0)
    else:
        expect(section.locator("table").first).to_be_visible()


def test_the_national_team_reads_every_question_filters_it_and_downloads_its_tables(seeded, page):
    stack = seeded
    stack.sign_in(page, stack.person("insight-national", "national", "Nia National", region=None))
    heading(page).to_have_text("Insight across England")  # the national team's first page
    expect(page.get_by_role("link", name="Insight", exact=True)).to_be_visible()

    learned = _section(page, "learned")
    expect(learned.locator("svg title")).to_have_text("Mean overall rating by quarter, England")
    rows = _table(page, "feedback-by-quarter")
    england = [r for r in rows if r[1] == "England"]
    assert [r[0] for r in england] == [quarter(EARLIER), quarter(RECENT)]
    said = "; ".join(_quarter_said(r) for r in england) + "."
    assert _chart_description(learned) == said  # the chart reads out the table's figures
    assert england[1][2] == "25"  # 10 + 10 + 3 answers, to the nearest five
    midlands = next(r for r in rows if r[1] == "Midlands" and r[0] == quarter(RECENT))
    assert midlands[2:] == ["fewer than 5"] * 5
    london = next(r for r in rows if r[1] == "London" and r[0] == quarter(EARLIER))  # no small cell to cover
    assert london[2] == "10" and 4 < float(london[3]) < 5
    well = _table(page, "went-well")
    assert any(r[0] == "London" and "went well" in r[3] for r in well)

    differences = _section(page, "differences")
    expect(differences).to_contain_text("Needs differ between regions: a large difference (Cramér's V")
    groups = _table(page, "pcn-groups")
    assert [r[1] for r in groups] == ["U10001, U10002", "U20001, U20002"]
    assert groups[0][2] == "Leadership, Strategy" and groups[1][2] == "Dealing with conflict, Teamwork"
    profile = _table(page, "group-needs")
    described = _chart_description(differences)
    assert described == "; ".join(f"{r[0]}: {r[1]}: {r[2]}" for r in profile) + "."
    _not_yet_or_shown(page, "needs")
    _not_yet_or_shown(page, "conditions")
    snap(page, "insight-national")

    # Downloads: the CSV and the workbook hold the page's rows.
    table = _download(page, re.compile(r"^Download this table \(CSV\)\W*Session feedback by quarter"))
    downloaded = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))
    assert downloaded[0][:3] == ["Quarter", "Area", "Respondents"]
    assert [[_same(c) for c in row] for row in downloaded[1:]] == rows
    book = load_workbook(io.BytesIO(_download(page, "Download every table (Excel)")))
    assert {"feedback-by-quarter", "went-well", "pcn-groups", "group-needs"} <= set(book.sheetnames)
    sheet = [[_same(c) for c in row] for row in book["feedback-by-quarter"].iter_rows(min_row=3, values_only=True)]
    assert sheet == rows
    assert isinstance(book["feedback-by-quarter"]["C3"].value, int)
    assert book["feedback-by-quarter"]["A2"].font.bold

    # Filters: one region, remembered in the address and the form.
    page.get_by_label("Region", exact=True).select_option(label="South West")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"region=Y58"))
    expect(page.get_by_label("Region", exact=True)).to_have_value("Y58")
    expect(learned.locator("svg title")).to_have_text("Mean overall rating by quarter, South West")
    assert {r[1] for r in _table(page, "feedback-by-quarter")} == {"England", "South West"}
    assert any(r[0] == "South West" for r in _table(page, "remains"))

    page.get_by_label("From quarter", exact=True).select_option(quarter(RECENT))
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"from=" + quarter(RECENT)))
    assert {r[0] for r in _table(page, "feedback-by-quarter")} == {quarter(RECENT)}
    page.set_viewport_size({"width": 1100, "height": 1400})
    page.goto(stack.url + "/insight")
    page.screenshot(path=str(SCREENSHOTS / "insight-national-top.png"))  # the README's picture

    # A filter feedback refuses is named, by its label, in the error summary.
    page.goto(stack.url + f"/insight?from={quarter(RECENT)}&to={quarter(EARLIER)}")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_attribute("href", "#to")
    snap(page, "insight-refused-filter")


def test_londons_administrator_sees_london_beside_england_and_the_report_link(seeded, page):
    stack = seeded
    stack.sign_in(page, stack.person("insight-admin-y56", "regional_admin", "Rhea Admin"), "/insight")
    heading(page).to_have_text("Insight for London")
    expect(page.get_by_label("Region", exact=True)).to_have_count(0)  # their own region only
    learned = _section(page, "learned")
    expect(learned.locator("svg title")).to_have_text("Mean overall rating by quarter, London")
    expect(learned.locator("svg")).to_contain_text("England, latest quarter")
    rows = _table(page, "feedback-by-quarter")
    assert {r[1] for r in rows} == {"England", "London"}
    london = [r for r in rows if r[1] == "London"]
    said = "; ".join(_quarter_said(r) for r in london) + "."
    assert _chart_description(learned) == said
    groups = _table(page, "pcn-groups")
    assert [r[1] for r in groups] == ["U10001, U10002"]  # London's PCNs, no test across regions
    assert "Between regions" not in [r[0] for r in _table(page, "needs-differ")]

    page.get_by_label("Offer type", exact=True).select_option(label="Coaching")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"offer_type=coaching"))
    expect(page.get_by_label("Offer type", exact=True)).to_have_value("coaching")
    coaching = _table(page, "feedback-by-quarter")
    england = next(r for r in coaching if r[:2] == [quarter(EARLIER), "England"])
    assert england[2] == "10"  # England's coaching is London's
    snap(page, "insight-regional")

    report = page.get_by_role("link", name=re.compile(r"^Quarterly report \(PDF\)"))
    answer = page.request.get(stack.url + report.get_attribute("href"))
    if answer.status == 404:  # feedback's report endpoint not there yet
        assert "not available yet" in answer.text()
    else:
        assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
        assert answer.body().startswith(b"%PDF")
    other = page.request.get(stack.url + "/insight.xlsx")
    assert other.status == 200 and other.body().startswith(b"PK")  # a workbook (a zip)
