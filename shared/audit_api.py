"""GET /v1/audit, served by every service: a regional admin reads their region's audit trail."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from shared.api import Api, PageQuery
from shared.auth import Role
from shared.clock import as_utc
from shared.paging import Page


class AuditQuery(PageQuery):
    record_id = fields.String(validate=validate.Length(max=100))
    subject = fields.String(validate=validate.Length(max=200))
    since = fields.AwareDateTime()


class AuditEntrySchema(Schema):
    at = fields.AwareDateTime()
    subject = fields.String()
    role = fields.String()
    region = fields.String()
    action = fields.String()
    route = fields.String()
    record_id = fields.String(
        allow_none=True, metadata={"description": "null: a call about no one record (a list, a creation that failed)"}
    )
    status = fields.Integer()
    correlation_id = fields.String()


audit_api = Api("audit", __name__)


@audit_api.get(
    "/v1/audit",
    summary="The audit trail of your region in this service, newest first",
    roles=(Role.REGIONAL_ADMIN,),
    query=AuditQuery,
    response=AuditEntrySchema,
    paged=True,
)
def list_audit(unit, query):
    table = current_app.extensions["convene.runtime"].db.tables.audit
    conditions = [table.c.region == unit.principal.region]
    for name in ("record_id", "subject"):
        if name in query:
            conditions.append(table.c[name] == query[name])
    if "since" in query:
        conditions.append(table.c.at >= query["since"])
    total = unit.conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar()
    rows = unit.conn.execute(
        select(table).where(*conditions).order_by(table.c.id.desc()).limit(query["limit"]).offset(query["offset"])
    ).mappings()
    return Page.of([{**row, "at": as_utc(row["at"])} for row in rows], total, query)
