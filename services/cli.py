"""Convene's operator tool: `python -m services.cli COMMAND --help`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.registry import SERVICES, runtime, settings_class
from shared.auth import Role, create_dev_keys, mint_token
from shared.config import Settings


def cmd_keys(_args) -> None:
    settings = Settings.load()
    if create_dev_keys(Path(settings.jwt_private_key_file), Path(settings.jwt_public_key_file)):
        print(f"created the development signing key in {Path(settings.jwt_private_key_file).parent}")


def cmd_token(args) -> None:
    settings = Settings.load()
    key_file = Path(settings.jwt_private_key_file)
    if not key_file.exists():
        raise SystemExit("no development key yet: run `make up` (or `python -m services.cli keys`) first")
    print(mint_token(key_file.read_bytes(), role=args.role, region=args.region, subject=args.subject, issuer=settings.jwt_issuer, audience=settings.jwt_audience, ttl_seconds=args.ttl))


def cmd_migrate(args) -> None:
    for service in SERVICES if args.service == "all" else [args.service]:
        runtime(service).db.create_schema()
        print(f"{service}: schema is up to date")


def cmd_settings(_args) -> None:
    print("| service | variable | default | meaning |\n|---|---|---|---|")
    seen = set()
    for service in SERVICES:
        for variable, default, meaning in settings_class(service).documented():
            scope = "all" if variable in {v for v, _, _ in Settings.documented()} else service
            if (scope, variable) in seen:
                continue
            seen.add((scope, variable))
            default = default.replace(str(Path.cwd()), ".") if default else "(empty)"
            print(f"| {scope} | `{variable}` | `{default}` | {meaning} |")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="convene", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("keys", help="create the local development signing key (git ignores it)").set_defaults(run=cmd_keys)
    token = commands.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--region", default=None, help="NHS England region ODS code, e.g. Y56")
    token.add_argument("--subject", default=None, help="the caller's Convene id (participant or facilitator id)")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    token.set_defaults(run=cmd_token)
    migrate = commands.add_parser("migrate", help="bring a service's database schema up to date")
    migrate.add_argument("service", choices=[*SERVICES, "all"])
    migrate.set_defaults(run=cmd_migrate)
    commands.add_parser("settings", help="print every setting as a Markdown table").set_defaults(run=cmd_settings)
    return root


def main(argv=None) -> None:
    args = parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
