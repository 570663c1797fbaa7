"""Records about the records: a region's audit trail in each service (who did what to which record,
when), and the import of the NHS ODS files (PCNs and practices) with a preview of what it would
change before anything is written."""

from __future__ import annotations

from datetime import date, datetime, time
from urllib.parse import urlencode

from flask import abort, current_app, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, pages
from services.console.pages.participants import page_offset, pagination
from services.console.upstream import call
from services.console.wording import LONDON

AUDIT_PAGE_SIZE = 25
SERVICES = {"enrolment": "Enrolment", "scheduling": "Scheduling", "feedback": "Feedback"}
ROLES = {
    "regional_admin": "Regional administrator",
    "facilitator": "Facilitator",
    "coach": "Coach",
    "participant": "Participant",
    "national": "National team",
    "service": "Another system",
}
# What an audited call did, in words; any other call is shown as its method and route.
ACTIONS = {
    ("POST", "/v1/participants"): "Registered a participant",
    ("GET", "/v1/participants"): "Listed participants",
    ("GET", "/v1/participants/<participant_id>"): "Read a participant's record",
    ("DELETE", "/v1/participants/<participant_id>"): "Erased a participant's personal data",
    ("GET", "/v1/participants/<participant_id>/enrolments"): "Read a participant's enrolments",
    ("POST", "/v1/offers"): "Created an offer",
    ("PATCH", "/v1/offers/<offer_id>"): "Changed an offer",
    ("POST", "/v1/offers/<offer_id>/publish"): "Published an offer",
    ("POST", "/v1/offers/<offer_id>/start"): "Started an offer",
    ("POST", "/v1/offers/<offer_id>/complete"): "Completed an offer",
    ("POST", "/v1/offers/<offer_id>/cancel"): "Cancelled an offer",
    ("POST", "/v1/offers/<offer_id>/enrolments"): "Enrolled a participant",
    ("POST", "/v1/offers/<offer_id>/team-enrolments"): "Enrolled a PCN team",
    ("GET", "/v1/offers/<offer_id>/enrolments"): "Read an offer's enrolments",
    ("POST", "/v1/enrolments/<enrolment_id>/withdraw"): "Withdrew an enrolment",
    ("POST", "/v1/reference-data/imports"): "Imported (or previewed) ODS reference data",
    ("GET", "/v1/offers/<offer_id>/roster"): "Read an offer's roster",
    ("POST", "/v1/offers/<offer_id>/sessions"): "Scheduled a session",
    ("PATCH", "/v1/sessions/<session_id>"): "Changed a session",
    ("POST", "/v1/sessions/<session_id>/cancel"): "Cancelled a session",
    ("PUT", "/v1/sessions/<session_id>/attendance"): "Recorded attendance",
    ("GET", "/v1/sessions/<session_id>/attendance"): "Read a session's attendance",
    ("POST", "/v1/facilitators"): "Added a facilitator",
    ("GET", "/v1/sessions/<session_id>/comments"): "Read a session's feedback comments",
}
IMPORT_FILES = {"epcn_csv": "ePCN file", "practice_map_csv": "Practice mapping file"}
MAX_FILE_BYTES = 20 * 1024 * 1024
PCN_FIELDS = {
    "name": "Name",
    "sub_icb_code": "Sub-ICB code",
    "sub_icb_name": "Sub-ICB",
    "region": "Region",
    "opened_on": "Opened",
    "closed_on": "Closed",
    "pcn_code": "PCN",
}


# --- Pure parts -----------------------------------------------------------------------------


def audit_query(args, *, page_size: int = AUDIT_PAGE_SIZE) -> dict:
    """The API's query of an audit page: the filters a person chose and the page's offset."""
    query: dict = {"limit": page_size, "offset": page_offset(args.get("page"), page_size)}
    for name in ("record_id", "subject"):
        if args.get(name, "").strip():
            query[name] = args[name].strip()
    since = forms.date_from(args, "since")
    if since:
        try:  # from midnight in England
            query["since"] = datetime.combine(date.fromisoformat(since), time(), LONDON).isoformat()
        except ValueError:
            query["since"] = since  # as typed: the API names what is wrong with it
    return query


def audit_service(args) -> str:
    return args.get("service") if args.get("service") in SERVICES else "enrolment"


def when(iso: str) -> str:
    """An audit time in England's local time: 29 November 2026 at 8:45pm."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(LONDON)
    return f"{moment:%-d %B %Y} at {moment:%-I:%M}{moment:%p}".replace("AM", "am").replace("PM", "pm")


def action_words(entry: dict) -> str:
    return ACTIONS.get((entry.get("action"), entry.get("route"))) or f"{entry.get('action')} {entry.get('route')}"


def decoded(upload: bytes) -> str:
    """An ODS file's text: UTF-8 (with or without a byte order mark), or Windows-1252 (older extracts)."""
    try:
        return upload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return upload.decode("cp1252")


def change_lines(change: dict, region_names: dict[str, str] | None = None) -> list[str]:
    """A change an import makes to a PCN or practice, in sentences (a preview's and a result's words)."""
    regions = region_names or {}

    def shown(name: str, value):
        if value is None:
            return "none"
        if name in ("opened_on", "closed_on"):
            return datetime.fromisoformat(value).strftime("%-d %B %Y")
        if name == "region":
            return f"{regions[value]} ({value})" if value in regions else value
        return value

    differences = {item["field"]: item for item in change.get("differences", [])}
    if change["change"] == "added":
        if change["kind"] == "pcn":
            region = differences.get("region", {}).get("after")
            line = f"New PCN in {shown('region', region)}" if region else "New PCN"
            closed = differences.get("closed_on", {}).get("after")
            return [line + (f", closed on {shown('closed_on', closed)}" if closed else "")]
        pcn = differences.get("pcn_code", {}).get("after")
        return [f"New practice in PCN {pcn}" if pcn else "New practice"]
    lines = []
    for name, item in differences.items():
        before, after = shown(name, item["before"]), shown(name, item["after"])
        if name == "name":
            lines.append(f"Renamed from {before} to {after}")
        elif name == "region":
            lines.append(f"Moved from {before} to {after}")
        elif name == "pcn_code":
            lines.append(f"Moved from PCN {before} to PCN {after}")
        elif name == "closed_on" and item["after"] and not item["before"]:
            lines.append(f"Closed on {after}")
        elif name == "closed_on" and not item["after"]:
            lines.append(f"Reopened (was closed on {before})")
        else:
            lines.append(f"{PCN_FIELDS.get(name, name)} changed from {before} to {after}")
    return lines


def import_summary(report: dict) -> list[str]:
    """What an import changed (or would change), counted: '1 PCN added', ..."""
    words = []
    for kind, singular in (("pcns", "PCN"), ("practices", "practice")):
        counts = report.get(kind, {})
        for key, verb in (("created", "added"), ("updated", "changed")):
            n = counts.get(key, 0)
            if n:
                words.append(f"{n} {singular if n == 1 else singular + 's'} {verb}")
    return words or ["No changes"]


def problem_rows(problem: dict) -> list[dict]:
    """The rows an import refused, as the problem names them (file, line, reason)."""
    return [
        {
            "file": IMPORT_FILES.get(item.get("field"), item.get("field")),
            "line": item.get("line"),
            "reason": item["message"],
        }
        for item in problem.get("errors") or []
        if "line" in item
    ]


def import_errors(problem: dict) -> forms.FormErrors:
    """An import's refusal as form errors: the first refused row of each file by that file's input
    (with its line), the problem's own words in the summary when no row is named."""
    errors = forms.FormErrors()
    for item in problem.get("errors") or []:
        name = item.get("field")
        if name in IMPORT_FILES:
            where = f", line {item['line']}" if item.get("line") else ""
            errors.add(name, f"{IMPORT_FILES[name]}{where}: {item.get('message', 'this row is not valid.')}")
    if problem.get("detail"):
        errors.add(forms.GENERAL, problem["detail"])
    return errors if errors else forms.from_problem(problem, IMPORT_FILES)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="reference-data-import")


# --- Audit trail ---------------------------------------------------------------------------------


@pages.get("/audit")
@for_roles("regional_admin")
def audit():
    service = audit_service(request.args)
    query = audit_query(request.args)
    answer = call(service, "GET", "/v1/audit", auth.token(), params=query)
    errors = forms.FormErrors()
    entries, total = [], 0
    if answer.status >= 400:
        errors = forms.from_problem(
            answer.body, {"record_id": "Record", "subject": "Who", "since": "From"}, {"since": "since-day"}
        )
    else:
        entries, total = answer.body["items"], answer.body["total"]
    form = request.args
    chosen = {name: value for name, value in request.args.items() if name != "page" and value}

    def link(number: int) -> str:
        return url_for("pages.audit") + "?" + urlencode({**chosen, "service": service, "page": number})

    return render_template(
        "records/audit.html",
        entries=[entry | {"when": when(entry["at"]), "what": action_words(entry)} for entry in entries],
        total=total,
        service=service,
        services=SERVICES,
        roles=ROLES,
        form=form,
        errors=errors,
        pagination=pagination(total, query["offset"], query["limit"], link),
    ), (422 if errors else 200)


# --- ODS import ---------------------------------------------------------------------------------


@pages.get("/reference-data/import")
@for_roles("regional_admin", "national")
def reference_data_import():
    return render_template("records/import.html", errors=forms.FormErrors(), rows=[])


@pages.post("/reference-data/import")
@for_roles("regional_admin", "national")
def preview_reference_data_import():
    texts, errors = {}, forms.FormErrors()
    for name, label in IMPORT_FILES.items():
        upload = request.files.get(name)
        content = upload.read(MAX_FILE_BYTES + 1) if upload and upload.filename else b""
        if not content:
            errors.add(name, f"Select the {label[0].lower() + label[1:]}.")
        elif len(content) > MAX_FILE_BYTES:
            errors.add(name, f"The {label[0].lower() + label[1:]} must be smaller than 20 MB.")
        else:
            texts[name] = decoded(content)
    if errors:
        return render_template("records/import.html", errors=errors, rows=[]), 422
    answer = call("enrolment", "POST", "/v1/reference-data/imports", auth.token(), json=texts | {"dry_run": True})
    if answer.status != 200:
        rows = problem_rows(answer.body)
        return render_template("records/import.html", errors=import_errors(answer.body), rows=rows), 422
    return render_template(
        "records/preview.html",
        report=answer.body,
        summary=import_summary(answer.body),
        changes=_described(answer.body.get("changes", [])),
        files=_signer().dumps(texts),  # what is applied is exactly what was previewed
    )


@pages.post("/reference-data/import/apply")
@for_roles("regional_admin", "national")
def apply_reference_data_import():
    try:
        texts = _signer().loads(request.form.get("files", ""))
    except BadSignature:
        abort(400, description="The preview was not recognised. Upload the files again.")
    answer = call("enrolment", "POST", "/v1/reference-data/imports", auth.token(), json=texts | {"dry_run": False})
    if answer.status != 200:
        rows = problem_rows(answer.body)
        return render_template("records/import.html", errors=import_errors(answer.body), rows=rows), 422
    # The session is a cookie: it keeps the counts and the first changes' words, never the files.
    session["reference_import_done"] = {
        "summary": import_summary(answer.body),
        "changes": [
            {"code": c["code"], "name": c["name"], "lines": c["lines"]} for c in _described(answer.body["changes"])[:10]
        ],
        "more": max(0, len(answer.body["changes"]) - 10),
    }
    return redirect(url_for("pages.reference_data_imported"))


@pages.get("/reference-data/import/done")
@for_roles("regional_admin", "national")
def reference_data_imported():
    done = session.pop("reference_import_done", None)  # shown once
    if done is None:
        return redirect(url_for("pages.reference_data_import"))
    return render_template("records/done.html", done=done)


def _described(changes: list[dict]) -> list[dict]:
    answer = call("enrolment", "GET", "/v1/regions", auth.token())
    names = {region["code"]: region["name"] for region in answer.body.get("items", [])} if answer.status == 200 else {}
    return [change | {"lines": change_lines(change, names)} for change in changes]
