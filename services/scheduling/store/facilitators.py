"""Facilitators and coaches: region, kind, monthly capacity and skills, never a name."""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from services.scheduling.store import utc_row
from services.scheduling.store.tables import facilitator_skills, facilitators


def add_facilitator(conn: Connection, values: dict, skills: list[str]) -> None:
    conn.execute(insert(facilitators).values(**values))
    if skills:
        conn.execute(insert(facilitator_skills), [{"facilitator_id": values["id"], "skill": s} for s in skills])


def find_facilitator(conn: Connection, facilitator_id: str) -> dict | None:
    row = conn.execute(select(facilitators).where(facilitators.c.id == facilitator_id)).mappings().first()
    return None if row is None else _with_skills(conn, [row])[0]


def list_facilitators(
    conn: Connection, region: str | None, kind: str | None, skill: str | None, limit: int, offset: int
):
    conditions = [facilitators.c.region == region] if region else []
    if kind:
        conditions.append(facilitators.c.kind == kind)
    if skill:
        skilled = select(facilitator_skills.c.facilitator_id).where(facilitator_skills.c.skill == skill)
        conditions.append(facilitators.c.id.in_(skilled))
    total = conn.execute(select(func.count()).select_from(facilitators).where(*conditions)).scalar_one()
    rows = (
        conn.execute(select(facilitators).where(*conditions).order_by(facilitators.c.id).limit(limit).offset(offset))
        .mappings()
        .all()
    )
    return _with_skills(conn, rows), total


def _with_skills(conn: Connection, rows) -> list[dict]:
    ids = [row["id"] for row in rows]
    skills: dict[str, list[str]] = {}
    query = (
        select(facilitator_skills)
        .where(facilitator_skills.c.facilitator_id.in_(ids))
        .order_by(facilitator_skills.c.skill)
    )
    for facilitator_id, skill in conn.execute(query):
        skills.setdefault(facilitator_id, []).append(skill)
    return [{**utc_row(row), "skills": skills.get(row["id"], [])} for row in rows]
