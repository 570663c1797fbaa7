"""Convene's operator tool: `python -m services.cli COMMAND --help`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from services import ops
from services.demo import WAIT_SECONDS, demo_runtimes, load_all
from services.registry import SERVICES, runtime, settings_class
from shared.auth import Role, create_dev_keys, mint_token
from shared.config import REPO_ROOT, PersonalDataSettings, Settings
from shared.data_keys import create_development_key
from shared.regions import REGION_CODES

README_START, README_END = "<!-- settings:start -->", "<!-- settings:end -->"


def cmd_keys(_args) -> None:
    settings = PersonalDataSettings.load()
    if create_dev_keys(Path(settings.jwt_private_key_file), Path(settings.jwt_public_key_file)):
        print(f"created the development signing key in {Path(settings.jwt_private_key_file).parent}")
    if not settings.personal_data_key and create_development_key(Path(settings.personal_data_key_file)):
        print(f"created the development key-encryption key of personal data in {settings.personal_data_key_file}")


def cmd_token(args) -> None:
    settings = Settings.load()
    key_file = Path(settings.jwt_private_key_file)
    if not key_file.exists():
        raise SystemExit("no development key yet: run `make up` (or `python -m services.cli keys`) first")
    if args.person:  # the claims the development identity provider's access token gives this demo person
        from services.console.identity_provider import demo_person

        try:
            person = demo_person(args.person)
        except KeyError as unknown:
            raise SystemExit(unknown.args[0]) from None
        args.role, args.region, args.subject = person["role"], person.get("region"), person["sub"]
    elif not args.role:
        raise SystemExit("name a --role (or a demo --person)")
    print(
        mint_token(
            key_file.read_bytes(),
            role=args.role,
            region=args.region,
            subject=args.subject,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=args.ttl,
        )
    )


def settings_table() -> str:
    """Every setting of every service as a Markdown table (the README's configuration section)."""
    rows = ["| service | variable | default | meaning |", "|---|---|---|---|"]
    common = {variable for variable, _, _ in Settings.documented()}
    seen = set()
    for service in SERVICES:
        for variable, default, meaning in settings_class(service).documented():
            scope = "all" if variable in common else service
            if (scope, variable) not in seen:
                seen.add((scope, variable))
                shown = default.replace(str(REPO_ROOT), ".") if default else "(empty)"
                rows.append(f"| {scope} | `{variable}` | `{shown}` | {meaning} |")
    from services.console.settings import ConsoleSettings  # the console is no Service: it keeps no data

    for variable, default, meaning in ConsoleSettings.documented():
        rows.append(f"| console | `{variable}` | `{default or '(empty)'}` | {meaning} |")
    return "\n".join(rows) + "\n"


def cmd_settings(args) -> None:
    if not args.readme:
        sys.stdout.write(settings_table())
        return
    readme = REPO_ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    readme.write_text(text[:start] + "\n" + settings_table() + text[end:])
    print("README.md configuration table rewritten")


def cmd_services(_args) -> None:
    """Each declared service and its web port, one a line: what `make up` starts."""
    for service in SERVICES:
        print(f"{service} {settings_class(service).default_port}")


def cmd_asyncapi(args) -> None:
    from services.registry import subscriptions
    from shared.asyncapi import render_asyncapi

    sys.stdout.write(render_asyncapi(subscriptions(), args.service))


def cmd_snapshot_schemas(args) -> None:
    from shared.contracts.compat import snapshot_report, write_snapshots

    written = write_snapshots(accept_additions=args.accept_additions, force=args.force)
    print("\n".join(f"wrote shared/contracts/snapshots/{name}.json" for name in written) or "no snapshot was missing")
    report = snapshot_report()
    for name, problems in report.breaking.items():
        print(f"{name} is not add-only against its snapshot: {'; '.join(problems)} (declare a .vN type instead)")
    for name in report.behind:
        print(f"{name} has add-only changes: record them with --accept-additions")
    if report.breaking:
        raise SystemExit(1)


def cmd_demo(args) -> None:
    runtimes, left_out = demo_runtimes()
    for service in runtimes.values():
        service.db.create_schema()
    started = time.monotonic()
    loaded = load_all(runtimes, timeout=args.timeout)
    for name, result in loaded.items():
        print(f"{name} demo: {DEMO_SUMMARIES[name](result)}")
    for name in left_out:
        print(
            f"{name} demo: not loaded: it would share enrolment's database; set {name.upper()}__DATABASE_URL",
            file=sys.stderr,
        )
    print(f"demo done in {time.monotonic() - started:.1f}s")


def _enrolment_summary(result: dict) -> str:
    added = f"{result['reference']['pcns']['created']} PCNs added, "
    return added + (
        f"{result['participants']} participants with offers and enrolments loaded"
        if result["loaded"]
        else "people and offers were already there"
    )


def _scheduling_summary(result: dict) -> str:
    if not result["loaded"]:
        return "sessions were already there"
    held = len(result["held"])
    return (
        f"{result['facilitators']} facilitators and coaches, {result['sessions']} sessions scheduled, {held} held "
        f"with {result['attendance']} attendance marks, {result['coaching']} coaching bookings"
    )


def _feedback_summary(result: dict) -> str:
    if not result["loaded"]:
        return "answers were already there"
    return (
        f"{result['feedback']} session feedback answers ({result['anonymous']} anonymous, {result['comments']} "
        "with a comment), "
        f"{result['needs']} needs surveys, {result['outcomes']} outcome measures ({result['pairs']} before/after pairs)"
    )


DEMO_SUMMARIES = {"enrolment": _enrolment_summary, "scheduling": _scheduling_summary, "feedback": _feedback_summary}


def cmd_import_ods(args) -> None:
    """The national load of the ODS files: the national team's scope and rules (see
    services/enrolment/usecases/reference.py); a region's administrator imports over HTTP."""
    import json

    from services.enrolment.domain.ods import RefusedRows
    from services.enrolment.usecases.reference import import_files

    def text(path: Path) -> str:
        raw = path.read_bytes()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode("cp1252")  # older ODS extracts

    enrolment = runtime("enrolment")
    try:
        with enrolment.db.transaction() as conn:
            report = import_files(conn, text(args.epcn), text(args.practice_map))
    except RefusedRows as error:
        print(
            f"{error.detail}\n"
            + "\n".join(f"{row['field']} line {row['line']}: {row['message']}" for row in error.rows),
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    print(json.dumps(report, indent=2))


def cmd_insight_report(args) -> None:
    """The quarterly commissioners' report, built as GET /v1/insight/report builds it, read as the
    national team reads it: a service principal of feedback, which sees every region."""
    from services.feedback.report import gather
    from shared.auth import Principal

    feedback = runtime("feedback")
    with feedback.db.read() as conn:
        unit = feedback.unit(conn, Principal("convene-cli", Role.SERVICE, None))
        body, name = gather.report(unit, args.quarter, args.region)
    out = args.out or Path(name)
    out.write_bytes(body)
    print(f"wrote {out} ({len(body)} bytes)")


def quarter_argument(text: str) -> str:
    from services.feedback.report.period import is_quarter

    if not is_quarter(text):
        raise argparse.ArgumentTypeError("a quarter as YYYY-Qn, e.g. 2026-Q3")
    return text


def cmd_notifications(args) -> None:
    from services.enrolment.notifier import operations as notifications  # enrolment's alone: it holds the e-mails

    db = runtime("enrolment").db
    try:
        if args.action == "parked":
            rows = notifications.parked(db)
            for row in rows:
                print(
                    f"{row['id']}  {row['kind']:<20} {row['attempts']} tries  {row['parked_reason'] or ''}  "
                    f"participant {row['participant_id']}  recorded {row['created_at']:%Y-%m-%d %H:%M}"
                )
            print(f"{len(rows)} parked notification(s)")
        else:
            print(f"{notifications.retry(db, args.ids or None)} notification(s) put back to be sent")
    finally:
        db.dispose()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="convene", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "keys",
        help="create the local development signing key and key-encryption key of personal data (git ignores them)",
    ).set_defaults(run=cmd_keys)
    token = commands.add_parser(
        "token", help="print a development bearer token (its kid names the key, for services that verify by JWKS)"
    )
    token.add_argument("--role", default=None, choices=[r.value for r in Role])
    token.add_argument(
        "--region",
        default=None,
        choices=REGION_CODES,
        help="NHS England region ODS code, e.g. Y56 (the services refuse any other)",
    )
    token.add_argument("--subject", default=None, help="the caller's Convene id (participant or facilitator id)")
    token.add_argument(
        "--person",
        default=None,
        help="a demo person of the development identity provider (e.g. demo-participant-y56): their role, region "
        "and Convene id, instead of --role, --region and --subject",
    )
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    token.set_defaults(run=cmd_token)
    ops.register(commands)
    commands.add_parser(
        "services", help="list each service and its web port, in the order events flow between them"
    ).set_defaults(run=cmd_services)
    table = commands.add_parser("settings", help="print every setting as a Markdown table")
    table.add_argument("--readme", action="store_true", help="rewrite the table in README.md instead")
    table.set_defaults(run=cmd_settings)
    asyncapi = commands.add_parser(
        "asyncapi", help="print the AsyncAPI 3.0 event contract (docs/asyncapi.json is the combined one)"
    )
    asyncapi.add_argument("--service", choices=SERVICES, default=None, help="only what this service publishes")
    asyncapi.set_defaults(run=cmd_asyncapi)
    snapshots = commands.add_parser(
        "snapshot-schemas", help="write the JSON Schema snapshot of every event type that has none"
    )
    snapshots.add_argument(
        "--accept-additions", action="store_true", help="also record add-only changes to existing snapshots"
    )
    snapshots.add_argument(
        "--force",
        action="store_true",
        help="overwrite every snapshot, breaking changes included: only before the first release",
    )
    snapshots.set_defaults(run=cmd_snapshot_schemas)
    demo = commands.add_parser(
        "demo", help="load the demo data of all three services, in order, while their workers run (idempotent)"
    )
    demo.add_argument(
        "--timeout",
        type=float,
        default=WAIT_SECONDS,
        help="seconds each service waits for the events of the one before",
    )
    demo.set_defaults(run=cmd_demo)
    import_ods = commands.add_parser(
        "import-ods",
        help=(
            "import PCNs and practices of every region from NHS ODS epcn.csv and gp-reg-pat-prac-map.csv, as the "
            "national team does"
        ),
    )
    import_ods.add_argument("epcn", type=Path, help="epcn.csv (no header row)")
    import_ods.add_argument("practice_map", type=Path, help="gp-reg-pat-prac-map.csv (gives each PCN its region)")
    import_ods.set_defaults(run=cmd_import_ods)
    report_help = (
        "write the quarterly commissioners' report (PDF) from feedback's live data, read as the national team "
        "reads it (a service principal: every region, small numbers withheld as on the insight endpoints)"
    )
    insight_report = commands.add_parser("insight-report", help=report_help, description=report_help)
    insight_report.add_argument("--quarter", required=True, type=quarter_argument, help="e.g. 2026-Q3")
    insight_report.add_argument(
        "--region", default=None, choices=REGION_CODES, help="one region's report (default: England, every region)"
    )
    insight_report.add_argument(
        "--out", type=Path, default=None, help="where to write it (default: convene-insight-<scope>-<quarter>.pdf)"
    )
    insight_report.set_defaults(run=cmd_insight_report)

    notifications = commands.add_parser(
        "notifications", help="e-mails to participants that keep failing: list the parked ones, send them again"
    )
    actions = notifications.add_subparsers(dest="action", required=True)
    actions.add_parser("parked", help="list parked e-mails (ids, kind, tries, error class; never an address)")
    retry = actions.add_parser("retry", help="send parked e-mails again (all, or those named)")
    retry.add_argument("ids", nargs="*", help="notification ids (none: every parked one)")
    notifications.set_defaults(run=cmd_notifications)
    return root


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
