"""Queries over the reference data: PCNs and practices."""
from sqlalchemy import Connection, bindparam, insert, select, update

from services.enrolment.ods import ImportPlan, Pcn, Practice
from services.enrolment.store import page
from services.enrolment.store.tables import pcns, practices

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
        statement = update(table).where(table.c.code == bindparam("_code")).values({name: bindparam(name) for name in columns})
        conn.execute(statement, [{**row, "_code": row["code"]} for row in updated])
