"""Reference data: the seven regions, PCNs and practices, and the import of NHS ODS files.

PCN and practice lists are public ODS data, yet regional staff see their own region's, like
every other list; the national team and services see the country's.

Imports change them in three scopes (the rules are `domain.ods.verdict`'s):

* a regional administrator's import (POST /v1/reference-data/imports): creates and changes
  their own region's PCNs and practices only, leaves rows wholly of other regions alone, and
  refuses the file (403 `rows_beyond_your_region`, naming each row) if any row would move a
  PCN or practice into or out of their region;
* the national team's import: every region, and moves between regions too, except of a PCN
  or practice people (or offers) belong to (409 `move_of_rows_in_use`, naming each row);
* the operator's `services.cli import-ods`: the national team's scope and rules. Whoever runs
  it holds the database's credentials already, so it is the national load of the ODS files,
  not a way round a region's boundary.
"""

from sqlalchemy import Connection

from services.enrolment.domain.ods import plan_import
from services.enrolment.domain.reference import validate_pcn_code, validate_region_code
from services.enrolment.store import reference as store
from services.enrolment.store.regions import load_regions
from services.enrolment.usecases.access import not_found, region_scope
from shared.auth import Role
from shared.paging import Page
from shared.unit import Unit

REGIONS = load_regions()


def regions() -> Page:
    return Page(list(REGIONS), len(REGIONS), len(REGIONS), 0)


def _scoped_region(unit: Unit, requested: str | None) -> tuple[str | None, bool]:
    """(region to filter by, whether anything may match) for a list asked for `requested`."""
    if requested is not None:
        validate_region_code(requested)
    scope = region_scope(unit.principal)
    if scope is not None and requested not in (None, scope):
        return scope, False
    return requested or scope, True


def pcn_page(unit: Unit, query: dict) -> Page:
    region, possible = _scoped_region(unit, query.get("region"))
    rows, total = (
        store.pcn_page(unit.conn, region=region, limit=query["limit"], offset=query["offset"]) if possible else ([], 0)
    )
    return Page.of(rows, total, query)


def get_pcn(unit: Unit, code: str):
    validate_pcn_code(code, field="code")
    pcn = store.pcn(unit.conn, code)
    if pcn is None or region_scope(unit.principal) not in (None, pcn["region"]):
        raise not_found("pcn")
    return pcn


def practice_page(unit: Unit, query: dict) -> Page:
    if query.get("pcn") is not None:
        validate_pcn_code(query["pcn"], field="pcn")
    rows, total = store.practice_page(
        unit.conn,
        region=region_scope(unit.principal),
        pcn_code=query.get("pcn"),
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page.of(rows, total, query)


def import_files(
    conn: Connection,
    epcn_csv: str,
    practice_map_csv: str,
    *,
    scope_region: str | None = None,
    dry_run: bool = False,
) -> dict:
    """Import both ODS files in the caller's transaction: all of it, or (on a bad or refused
    row) none. `scope_region`: a regional administrator's region; None: the national scope.
    `dry_run`: plan and report the same, refusals included, but write nothing (a preview).

    The check and the write share one transaction, and the reference data is locked before it
    is read: a concurrent import or registration cannot move a row between the two."""
    if not dry_run:
        store.lock_for_import(conn)
    known_pcns, known_practices = store.everything(conn)
    plan = plan_import(
        epcn_csv, practice_map_csv, known_pcns, known_practices, scope_region=scope_region, in_use=store.in_use(conn)
    )
    if not dry_run:
        store.apply_import(conn, plan)
    return plan.report() | {"dry_run": dry_run, "changes": plan.changes(known_pcns, known_practices)}


def import_reference_data(unit: Unit, body: dict) -> dict:
    scope = unit.principal.region if unit.principal.role is Role.REGIONAL_ADMIN else None
    return import_files(
        unit.conn, body["epcn_csv"], body["practice_map_csv"], scope_region=scope, dry_run=body["dry_run"]
    )
