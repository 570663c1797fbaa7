"""The quarterly commissioners' report (GET /v1/insight/report, and the CLI's insight-report), on
both databases, from answers given through the API: a PDF of five pages (the cover and the four
questions), none blank, each holding its question and, where a cell is withheld, "fewer than 5";
a regional administrator's own region only; a bad quarter refused."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest

from services.feedback.report.pages import QUESTIONS
from shared.charts import WITHHELD
from tests.harness import PERSONAL_DATA_KEY
from tests.integration.test_feedback_differences import LEADERS, TEAMS
from tests.integration.test_feedback_insight import HIGH, LOW, NEW, Seeder, quarter, world  # noqa: F401 (world: its fixture)

REPO = Path(__file__).resolve().parents[2]
Q = quarter(NEW)


@pytest.fixture
def seeded(world, as_):
    """London's coaching rated high, the South West's sets low, three answers from the Midlands
    (withheld, with a cover); needs answered by two PCNs of London and two of the North West."""
    seed = Seeder(world, as_)
    seed.session("Y56", "coaching", NEW, HIGH)
    seed.session("Y58", "action_learning_set", NEW, LOW)
    seed.session("Y60", "coaching", NEW, LOW[:3])
    for n, (region, pcn, ratings, people) in enumerate(
        [("Y56", "U10001", LEADERS, 8), ("Y56", "U10002", LEADERS, 7), ("Y62", "U20001", TEAMS, 8)]
    ):
        for i in range(people):
            person = f"needs-{n}-{i}"
            world.registered(person, region, pcn)
            response = world.client.post(
                "/v1/needs-surveys/responses",
                json={"ratings": ratings, "pcn_code": pcn},
                headers=as_("participant", region, person),
            )
            assert response.status_code == 201, response.json
    return world


def report(world, headers, **query):
    response = world.client.get("/v1/insight/report", query_string=query, headers=headers)
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "application/pdf"
    return response


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, its white space made single spaces (lines wrap where the layout likes)."""
    document = pypdfium2.PdfDocument(pdf)
    return [" ".join(page.get_textpage().get_text_range().split()) for page in document]


def inked_share(pdf: bytes, index: int) -> float:
    """The share of a page's pixels that are not white, the page rendered as an image."""
    image = pypdfium2.PdfDocument(pdf)[index].render(scale=1).to_pil().convert("L")
    counts = image.histogram()  # how many pixels of each grey, 0 (black) to 255 (white)
    return sum(counts[:240]) / sum(counts)


def test_the_national_report_is_a_cover_and_a_page_for_each_question_none_blank(seeded, as_):
    response = report(seeded, as_("national"), quarter=Q)
    assert response.headers["Content-Disposition"] == f'attachment; filename="convene-insight-national-{Q}.pdf"'
    pdf = response.data
    texts = page_texts(pdf)
    assert len(texts) == 5
    assert f"Quarter {Q}" in texts[0] and "every region" in texts[0] and "95 % interval" in texts[0]
    for number, question in enumerate(QUESTIONS, start=1):
        assert question in texts[number], (question, texts[number][:300])
    for index in range(5):
        assert inked_share(pdf, index) > 0.01, f"page {index + 1} looks blank"
    learned = texts[1]
    assert "London (Y56)" in learned and "South West (Y58)" in learned
    assert WITHHELD in learned  # the Midlands' three answers, and the cell that covers them
    assert "this went well" in learned and "this remains to be attended to" in learned
    assert "differ between regions" in texts[3] and "U10001" in texts[3]
    metadata = pypdfium2.PdfDocument(pdf).get_metadata_dict()
    assert metadata["Author"] == "Convene" and Q in metadata["Title"]


def test_the_report_shows_only_what_the_insight_endpoints_publish(seeded, as_):
    learned = seeded.client.get(f"/v1/insight/learned?from={Q}&to={Q}", headers=as_("national")).json
    [midlands] = [r for r in learned["regions"] if r["region"] == "Y60"]
    assert midlands["quarters"][0]["suppressed"]
    text = page_texts(report(seeded, as_("national"), quarter=Q).data)[1]
    assert "Midlands (Y60) " + WITHHELD in text
    national = learned["national"]["quarters"][0]
    assert f"England {national['respondents']} {national['measures']['overall']['mean']:.2f}" in text
    for finding in learned["went_well"] + learned["remains"]:
        assert " ".join(finding["sentence"].split()) in text


def test_a_regional_administrator_gets_their_own_region_s_report_only(seeded, as_):
    own = report(seeded, as_("regional_admin", "Y56"), quarter=Q)
    assert own.headers["Content-Disposition"] == f'attachment; filename="convene-insight-Y56-{Q}.pdf"'
    texts = page_texts(own.data)
    assert len(texts) == 5 and "Region: London (Y56)" in texts[0]
    assert "London (Y56)" in texts[1] and "South West (Y58)" not in texts[1]
    assert "U20001" not in texts[3]  # another region's PCN
    named = seeded.client.get(f"/v1/insight/report?quarter={Q}&region=Y56", headers=as_("regional_admin", "Y56"))
    assert named.status_code == 200
    other = seeded.client.get(f"/v1/insight/report?quarter={Q}&region=Y58", headers=as_("regional_admin", "Y56"))
    assert other.status_code == 404 and other.mimetype == "application/problem+json"
    assert other.json["errors"][0]["field"] == "region"


def test_a_quarter_without_answers_says_so_on_five_pages(world, as_):
    texts = page_texts(report(world, as_("service"), quarter="2019-Q1").data)
    assert len(texts) == 5
    assert "No session feedback was given in this quarter." in texts[1]
    assert "No needs surveys have been answered yet" in texts[3]


@pytest.mark.parametrize("query", ["quarter=2026-Q5", "quarter=2026-07", "quarter=2026Q3", "quarter="])
def test_a_bad_quarter_is_a_400_naming_it(world, as_, query):
    response = world.client.get(f"/v1/insight/report?{query}", headers=as_("national"))
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.json["rule"] == "invalid_quarter"
    assert response.json["errors"] == [{"field": "quarter", "message": "a quarter as YYYY-Qn, e.g. 2026-Q3"}]


def test_a_missing_quarter_is_refused_naming_it_as_every_missing_field_is(world, as_):
    response = world.client.get("/v1/insight/report", headers=as_("national"))
    assert response.status_code == 422 and [e["field"] for e in response.json["errors"]] == ["quarter"]


def test_an_unknown_region_is_refused_naming_it(world, as_):
    response = world.client.get("/v1/insight/report?quarter=2026-Q3&region=Z99", headers=as_("national"))
    assert response.status_code == 422 and [e["field"] for e in response.json["errors"]] == ["region"]


def test_the_cli_writes_the_report_the_national_team_reads(seeded, as_, tmp_path):
    out = tmp_path / "report.pdf"
    environ = {
        **os.environ,
        "DATABASE_URL": str(seeded.service.settings.database_url),
        "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
        "LOG_LEVEL": "WARNING",
    }
    run = subprocess.run(
        [sys.executable, "-m", "services.cli", "insight-report", "--quarter", Q, "--out", str(out)],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert f"wrote {out}" in run.stdout
    by_cli = page_texts(out.read_bytes())
    by_http = page_texts(report(seeded, as_("national"), quarter=Q).data)
    assert len(by_cli) == 5 and by_cli[1:] == by_http[1:]  # the cover differs by its time alone
    assert pypdfium2.PdfDocument(io.BytesIO(out.read_bytes())).get_metadata_dict()["Author"] == "Convene"


def test_the_cli_refuses_a_bad_quarter():
    run = subprocess.run(
        [sys.executable, "-m", "services.cli", "insight-report", "--quarter", "2026-Q9"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "a quarter as YYYY-Qn" in run.stderr
