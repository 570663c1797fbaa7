"""The audit trail: who (token subject and role) did what to which record, when, under which
correlation id. Append-only and without payloads, so it holds no personal data itself."""

from __future__ import annotations

from flask import request
from sqlalchemy import Connection, Table, insert

from shared.auth import Principal
from shared.clock import utcnow
from shared.logs import current_correlation_id


def record(conn: Connection, table: Table, principal: Principal, record_id: str | None, status: int) -> None:
    # Values as parameters of a bare INSERT, not .values(): the statement then compiles once.
    conn.execute(
        insert(table),
        {
            "at": utcnow(),
            "subject": principal.subject,
            "role": principal.role.value,
            "region": principal.region,
            "action": request.method,
            "route": request.url_rule.rule if request.url_rule else request.path,
            "record_id": record_id,
            "status": status,
            "correlation_id": current_correlation_id(),
        },
    )
