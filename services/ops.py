"""Operator commands of `python -m services.cli`: migrations, projection replay, dead letters, purge."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from services.registry import SERVICES, declaration, runtime
from shared import migrate, operations
from shared.contracts.registry import topics


def cmd_migrate(args) -> None:
    if args.downgrade and args.service == "all":
        raise SystemExit("--downgrade names one service's revision: name the service, not all")
    for service in SERVICES if args.service == "all" else [args.service]:
        declared = declaration(service)
        db = declared.build_runtime().db
        try:
            if args.current:
                print(f"{service}: {_where(declared, db)}")
            elif args.history:
                _print_history(declared, db)
            elif args.downgrade:
                migrate.downgrade(declared, db, args.downgrade)
                print(f"{service}: downgraded; {_where(declared, db)}")
            else:
                migrate.upgrade(declared, db)
                print(f"{service}: schema is at the latest revision ({', '.join(migrate.heads(declared))})")
        finally:
            db.dispose()


def _where(declared, db) -> str:
    at, latest = migrate.current(db), migrate.heads(declared)
    if not at:
        return f"no revision applied (latest is {', '.join(latest)})"
    return f"at {', '.join(at)}" + (" (latest)" if set(at) == set(latest) else f" (latest is {', '.join(latest)})")


def _print_history(declared, db) -> None:
    at = set(migrate.current(db))
    for script in migrate.history(declared):
        title = (script.doc or "").strip().splitlines()[0] if (script.doc or "").strip() else ""
        needs = f", needs {script.dependencies}" if script.dependencies else ""
        branch = f" [{', '.join(script.branch_labels)}]" if script.branch_labels else ""
        marker = "  <- current" if script.revision in at else ""
        print(
            f"{declared.name}: {script.revision}{branch} (after {script.down_revision or 'base'}{needs}) "
            f"{title}{marker}"
        )


def cmd_make_migration(args) -> None:
    declared = declaration(args.service)
    migrate.new_revision(declared, declared.build_runtime().db, args.message)


def cmd_replay(args) -> None:
    declared = declaration(args.service)
    service = declared.build_runtime()
    since = datetime.fromisoformat(args.since) if args.since else None
    chosen = [s for s in declared.subscriptions if args.subscription in (None, s.name)]
    try:
        # Every chosen group is checked before any projection is touched.
        operations.refuse_while_consumed(service.settings, service.db, chosen)
        for subscription in chosen:
            count = operations.replay(
                service.settings,
                service.db,
                subscription,
                declared.projections.get(subscription.name, []),
                since=since,
                progress_every=args.progress_every,
                check_groups=False,
            )
            print(f"{args.service}.{subscription.name}: {count} events replayed")
    except operations.ReplayRefused as refused:
        raise SystemExit(f"replay refused: {refused}") from None


def _topic_address(service, name: str) -> str:
    if name not in topics():
        raise SystemExit(f"unknown topic {name!r}; choose from {', '.join(topics())}")
    return topics()[name].address(service.settings.topic_prefix)


def cmd_dlq_list(args) -> None:
    service = runtime(args.service)
    letters = operations.dead_letters(service.settings, _topic_address(service, args.topic), limit=args.limit)
    for letter in letters:
        print(json.dumps(letter.summary()))
    if not letters:
        print(f"no dead letters on {args.topic}.dlq")


def cmd_dlq_redrive(args) -> None:
    service = runtime(args.service)
    offsets = None if args.all else set(args.offset)
    if not args.all and not offsets:
        raise SystemExit("name dead letters with --offset N (repeatable) or pass --all")
    count = operations.redrive(service.settings, _topic_address(service, args.topic), offsets, dry_run=args.dry_run)
    print(
        f"{count} dead letters "
        + ("would be sent back to their topic (dry run: nothing sent)" if args.dry_run else "sent back to their topic")
    )


def cmd_purge(args) -> None:
    for service in SERVICES if args.service == "all" else [args.service]:
        removed = operations.purge(runtime(service).db, older_than=timedelta(days=args.days), dry_run=args.dry_run)
        print(
            f"{service}: "
            + ", ".join(f"{count} {name} rows" for name, count in removed.items())
            + (" would be removed (dry run: nothing removed)" if args.dry_run else " removed")
        )


def cmd_rewrap_keys(args) -> None:
    """Rotation of the key-encryption key of personal data: with PERSONAL_DATA_KEY set to
    "new,old", every data key is wrapped by the new one; then the old one can be destroyed."""
    chosen = [declaration(service) for service in (SERVICES if args.service == "all" else [args.service])]
    if args.service != "all" and chosen[0].rewrap_personal_data is None:
        raise SystemExit(f"{args.service} keeps no sealed personal data")
    for declared in (d for d in chosen if d.rewrap_personal_data is not None):
        service = declared.name
        with declared.build_runtime().db.transaction() as conn:
            count = declared.rewrap_personal_data(conn)
        print(f"{service}: {count} data keys wrapped by the current key-encryption key")


def register(commands) -> None:
    migration = commands.add_parser(
        "migrate",
        help=(
            "bring a service's database schema to the latest revision (Alembic), under a database lock so "
            "concurrent runs queue"
        ),
    )
    migration.add_argument("service", choices=[*SERVICES, "all"])
    what = migration.add_mutually_exclusive_group()
    what.add_argument("--current", action="store_true", help="print the revision the database is at, changing nothing")
    what.add_argument(
        "--history", action="store_true", help="list the service's revisions, oldest first, marking the current one"
    )
    what.add_argument(
        "--downgrade",
        metavar="REVISION",
        default=None,
        help='go back to REVISION (an id from --history, "-1" for one step, or "base")',
    )
    migration.set_defaults(run=cmd_migrate)

    rewrap = commands.add_parser(
        "rewrap-keys", help="wrap every data key of personal data by the current key-encryption key (rotation)"
    )
    rewrap.add_argument(
        "service",
        choices=[*SERVICES, "all"],
        help="a service that seals personal data or secrets (enrolment, scheduling, feedback, subscriptions), or all",
    )
    rewrap.set_defaults(run=cmd_rewrap_keys)

    revision = commands.add_parser(
        "make-migration", help="write a new revision from the models' difference to the database"
    )
    revision.add_argument("service", choices=SERVICES)
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=cmd_make_migration)

    replay = commands.add_parser(
        "replay",
        help=(
            "rebuild a service's projections from its input topics; refused while its worker consumes; all or "
            "nothing per consumer"
        ),
    )
    replay.add_argument("service", choices=SERVICES)
    replay.add_argument("--subscription", default=None, help="only this consumer (default: all of the service's)")
    replay.add_argument("--since", default=None, help="ISO time to replay from (default: the start of each topic)")
    replay.add_argument(
        "--progress-every",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often to print events done, rate and time left (default 5)",
    )
    replay.set_defaults(run=cmd_replay)

    dlq = commands.add_parser("dlq", help="dead-lettered events: list or redrive").add_subparsers(
        dest="dlq_command", required=True
    )
    listing = dlq.add_parser("list", help="ids, types, reasons and errors of a topic's dead letters (never payloads)")
    listing.add_argument("service", choices=SERVICES, help="whose settings (broker, prefix) to use")
    listing.add_argument("topic", help="the source topic without prefix, e.g. convene.enrolment.events")
    listing.add_argument("--limit", type=int, default=1000)
    listing.set_defaults(run=cmd_dlq_list)
    again = dlq.add_parser("redrive", help="publish dead letters again to their source topic once their cause is fixed")
    again.add_argument("service", choices=SERVICES)
    again.add_argument("topic")
    again.add_argument("--offset", type=int, action="append", default=[], help="a dead letter's offset (repeatable)")
    again.add_argument("--all", action="store_true")
    again.add_argument("--dry-run", action="store_true", help="count what would be sent, send nothing")
    again.set_defaults(run=cmd_dlq_redrive)

    purge = commands.add_parser(
        "purge", help="delete published outbox rows, inbox rows and idempotency keys older than the retention"
    )
    purge.add_argument("service", choices=[*SERVICES, "all"])
    purge.add_argument(
        "--days", type=int, default=60, help="retention in days; keep it above the topics' retention (30 days)"
    )
    purge.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")
    purge.set_defaults(run=cmd_purge)
