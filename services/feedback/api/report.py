"""The quarterly commissioners' report: the four questions of the insight as one PDF, built from
live data on request (services/feedback/report/; the CLI's `insight-report` builds the same)."""

from services.feedback import schemas as s
from services.feedback.api.roles import READERS
from services.feedback.report.period import is_quarter
from shared.api import Api, Reply
from shared.problems import Problem

PDF = "application/pdf"

report_api = Api("report", __name__, tag="insight")


@report_api.get(
    "/v1/insight/report",
    summary="The quarterly commissioners' report as PDF: the four questions, one page each, from live data",
    roles=READERS,
    query=s.ReportQuerySchema,
    media_type=PDF,
)
def report(unit, query):
    quarter = query["quarter"]
    if not is_quarter(quarter):
        raise Problem(
            400,
            "invalid_quarter",
            "name the report's quarter as YYYY-Qn, e.g. 2026-Q3",
            errors=[{"field": "quarter", "message": "a quarter as YYYY-Qn, e.g. 2026-Q3"}],
        )
    # Imported here: its PDF and chart libraries (reportlab, matplotlib) cost every process of the
    # service tens of MB at start, for a report asked for a few times a quarter.
    from services.feedback.report import gather

    body, name = gather.report(unit, quarter, query.get("region"))
    return Reply(body, headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private"})
