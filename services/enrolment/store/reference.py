"""Queries over the reference data: PCNs and practices."""

from sqlalchemy import Connection, bindparam, insert, select, text, union, update

from services.enrolment.domain.ods import ImportPlan, InUse
from services.enrolment.domain.reference import Pcn, Practice
from services.enrolment.store import page
from services.enrolment.store.tables import offers, participants, pcns, practices

PCN_FIELDS = ("name", "sub_icb_code", "sub_icb_name", "region", "opened_on", "closed_on")


def pcn(conn: Connection, code: str):
    return conn.execute(select(pcns).where(pcns.c.code == code)).mappings().first()


def pcn_page(conn: Connection, *, region: str | None, limit: int, offset: int):
    query = select(pcns)
    if region is not None:
        query = query.where(pcns.c.region == region)
    return page(conn, query, pcns.c.code, limit=limit, offset=offset)


def practice(conn: Connection, code: str):
    return conn.execute(select(practices).where(practices.c.code == code)).mappings().first()


def practice_page(conn: Connection, *, region: str | None, pcn_code: str | None, limit: int, offset: int):
    query = select(practices)
    if region is not None:
        query = query.join(pcns, pcns.c.code == practices.c.pcn_code).where(pcns.c.region == region)
    if pcn_code is not None:
        query = query.where(practices.c.pcn_code == pcn_code)
    return page(conn, query, practices.c.code, limit=limit, offset=offset)


def lock_for_import(conn: Connection) -> None:
    """Hold the reference data still until the import's transaction ends, so that what its plan
    is checked against (regions, who belongs where) is what it writes over.

    On SQLite the write transaction's BEGIN IMMEDIATE already excludes every other writer. On
    PostgreSQL, EXCLUSIVE mode on `pcns` lets readers read but waits for, and then blocks, every
    other import and every new reference to a PCN (the foreign-key check of a participant or
    offer being created). Practices need no lock of their own: imports are their only writers,
    and a participant who names a practice names a PCN too. Taken before the first read, the
    lock lets the import read only what has been committed, and nothing changes under it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {pcns.name} IN EXCLUSIVE MODE"))


def in_use(conn: Connection) -> InUse:
    """The PCNs participants or offers belong to, and the practices participants belong to."""
    pcn_codes = union(select(participants.c.pcn_code), select(offers.c.pcn_code).where(offers.c.pcn_code.is_not(None)))
    practice_codes = select(participants.c.practice_code).where(participants.c.practice_code.is_not(None)).distinct()
    return InUse(frozenset(conn.execute(pcn_codes).scalars()), frozenset(conn.execute(practice_codes).scalars()))


def everything(conn: Connection) -> tuple[dict[str, Pcn], dict[str, Practice]]:
    """Every PCN and practice, as the import plans against them."""
    known_pcns = {row.code: Pcn(**row._asdict()) for row in conn.execute(select(pcns))}
    known_practices = {row.code: Practice(row.code, row.pcn_code, row.name) for row in conn.execute(select(practices))}
    return known_pcns, known_practices


def apply_import(conn: Connection, plan: ImportPlan) -> None:
    """Write an import plan: PCNs first, so that practices find theirs."""
    _write(conn, pcns, [vars(p) for p in plan.pcns_created], [vars(p) for p in plan.pcns_updated])
    _write(conn, practices, [vars(p) for p in plan.practices_created], [vars(p) for p in plan.practices_updated])


def _write(conn: Connection, table, created: list[dict], updated: list[dict]) -> None:
    if created:
        conn.execute(insert(table), created)
    if updated:
        columns = [name for name in updated[0] if name != "code"]
        statement = (
            update(table).where(table.c.code == bindparam("_code")).values({name: bindparam(name) for name in columns})
        )
        conn.execute(statement, [{**row, "_code": row["code"]} for row in updated])
