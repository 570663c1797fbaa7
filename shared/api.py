"""Declaring HTTP endpoints: one decorator parses and validates the request, checks the role,
opens the database transaction, applies Idempotency-Key, and serialises the answer through
an allow-list schema. The same declaration feeds the OpenAPI document (shared.openapi).

A view is called as `view(unit, **path_arguments, body=..., query=...)`: `unit` is the
request's unit of work (shared.unit), `body` and `query` are passed when the endpoint
declares them.

A read declared `conditional` answers an ETag, and one whose If-None-Match names it is answered
304 Not Modified with no body: its use case raises shared.versions.NotModified once it has checked
the caller's access and read only the version.

Reading your own writes across services (docs/consistency.md): a write that records events
answers with a Convene-Consistency token naming them, and a request that sends tokens back waits,
before its transaction, until this service's consumers have applied those events.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from shared import audit, consistency, logs
from shared.auth import Principal, Role
from shared.clock import utcnow
from shared.dumping import dumper
from shared.paging import Page
from shared.problems import Problem
from shared.schemas import instance
from shared.unit import Unit
from shared.versions import NotModified, etag, require_version  # noqa: F401  (etag: the HTTP layer's name for it too)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# What json.dumps(document, default=str) builds on every call, built once: the same text.
JSON_ENCODER = json.JSONEncoder(default=str)


@dataclass
class Reply:
    body: Any
    status: int | None = None
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    rule: str
    method: str
    view_name: str
    summary: str
    roles: tuple[Role, ...]
    body: type[Schema] | None
    query: type[Schema] | None
    response: type[Schema] | None
    status: int
    paged: bool
    idempotent: bool
    tag: str
    media_type: str = "application/json"
    audited: bool = False
    # An answer with personal data (a registration): the key table keeps only the created id,
    # and a replay answers what `replay(unit, id)` reads then. Response bodies are kept verbatim
    # otherwise, and what a table keeps outlives its deletion in logs and backups.
    replay: Callable[[Unit, str], Any] | None = None
    # Called without a bearer token: a secret in the path is the credential (a calendar
    # subscription address). No role applies; the path is redacted wherever it is logged.
    public: bool = False
    # Changes a versioned object, naming the version it read in If-Match (428 without, 412 if
    # stale): every PATCH, and a PUT that says so.
    versioned: bool = False
    # A read that answers an ETag and takes If-None-Match: the view passes `if_none_match()` to its
    # use case, which raises shared.versions.NotModified once access is checked and the version
    # read; the answer is then 304 with the ETag and no body (documented as such in OpenAPI).
    conditional: bool = False


class Api(Blueprint):
    """A blueprint whose routes are declared with their schemas and roles."""

    def __init__(self, name: str, import_name: str, *, tag: str | None = None):
        super().__init__(name, import_name)
        self.tag = tag or name
        self.endpoints: list[Endpoint] = []

    def endpoint(
        self,
        rule: str,
        method: str,
        *,
        summary: str,
        roles,
        body=None,
        query=None,
        response=None,
        status: int = 200,
        paged: bool = False,
        idempotent: bool = False,
        media_type: str = "application/json",
        audited: bool | None = None,
        replay: Callable | None = None,
        public: bool = False,
        versioned: bool | None = None,
        conditional: bool = False,
    ):
        """Declare an endpoint. Writes are audited and reads are not, unless `audited` says
        otherwise: True on every read that returns personal data; False only on a write whose
        audit row would itself undo a promise (anonymous feedback: who answered when).

        `public`: a read called without a bearer token, whose path holds the secret that is its
        credential (no roles; never audited, idempotent or logged with its path).

        `versioned`: the change names the version it read in If-Match (documented so); every
        PATCH is, a PUT says so."""
        if public:
            if method != "GET" or tuple(roles) or audited or idempotent or "<" not in rule:
                raise ValueError("a public endpoint is a GET with a secret in its path, no roles, audit or key")
            logs.redact_paths_under(rule.split("<", 1)[0])
        if conditional and method != "GET":
            raise ValueError("only a GET answers 304 Not Modified (If-None-Match on a write is a precondition)")

        def decorator(view: Callable):
            declared = Endpoint(
                rule,
                method,
                view.__name__,
                summary,
                tuple(roles),
                body,
                query,
                response,
                status,
                paged,
                idempotent,
                self.tag,
                media_type,
                method in WRITE_METHODS if audited is None else audited,
                replay,
                public,
                method == "PATCH" if versioned is None else versioned,
                conditional,
            )
            self.endpoints.append(declared)

            @wraps(view)
            def handle(**path_args):
                return _handle(declared, view, path_args)

            self.add_url_rule(rule, view.__name__, handle, methods=[method])
            return view

        return decorator

    def get(self, rule, **options):
        return self.endpoint(rule, "GET", **options)

    def post(self, rule, **options):
        return self.endpoint(rule, "POST", **options)

    def put(self, rule, **options):
        return self.endpoint(rule, "PUT", **options)

    def patch(self, rule, **options):
        return self.endpoint(rule, "PATCH", **options)

    def delete(self, rule, **options):
        return self.endpoint(rule, "DELETE", **options)


class PageQuery(Schema):
    """Query parameters of every paginated list; a list endpoint's query schema extends it."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


def if_match() -> str | None:
    """The version the request names in If-Match, as sent (None: none); the use case that reads
    the object checks it against the current one (shared.versions.require_version)."""
    return request.headers.get("If-Match")


def if_none_match() -> str | None:
    """The ETags a conditional read's request says it holds (If-None-Match, every line of it), as
    sent; None: none. The use case compares them with the current one (shared.versions.unless_held)."""
    values = request.headers.getlist("If-None-Match")
    return ", ".join(values) if values else None


def require_if_match(version: int) -> None:
    """Optimistic concurrency: an update must name the version it read (If-Match: its ETag)."""
    require_version(if_match(), version)


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "limit": fields.Integer(required=True),
            "offset": fields.Integer(required=True),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def _handle(declared: Endpoint, view: Callable, path_args: dict):
    principal: Principal | None = g.get("principal")
    if not declared.public and principal.role not in declared.roles:
        raise Problem(403, "role_not_allowed", f"the {principal.role.value} role may not use this endpoint")
    key = request.headers.get("Idempotency-Key") if declared.idempotent else None
    _refuse_unstorable({**path_args, **request.args.to_dict(), **({"Idempotency-Key": key} if key else {})})
    body = _parse_body(declared.body) if declared.body else None
    query = _parse_query(declared.query)
    runtime = current_app.extensions["convene.runtime"]
    write = declared.method in WRITE_METHODS
    if key is not None and not 1 <= len(key) <= 200:
        raise Problem(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 characters",
            errors=[{"field": "Idempotency-Key", "message": "1 to 200 characters"}],
        )
    _await_own_writes(runtime)  # once the request is known to be well formed, before its transaction
    try:
        with runtime.db.transaction() if write else runtime.db.read() as conn:
            unit = runtime.unit(conn, principal)
            if key is not None:
                replay = _replay(unit, runtime.db.tables.idempotency, key, declared)
                if replay is not None:
                    return replay
            arguments = dict(path_args)
            if body is not None:
                arguments["body"] = body
            if query is not None:
                arguments["query"] = query
            try:
                reply = view(unit, **arguments)
            except NotModified as held:
                reply = Response(status=304, headers={"ETag": held.etag})  # RFC 9110 §15.4.5: no body
            response = _respond(declared, reply)
            token = consistency.token_for(unit.recorded)
            if token is not None:
                response.headers[consistency.HEADER] = token
            if key is not None:
                _remember(conn, runtime, principal, key, response, declared)
            if declared.audited and write:
                audit.record(
                    conn, runtime.db.tables.audit, principal, _record_id(path_args, response), response.status_code
                )
        if declared.audited and not write:
            with runtime.db.transaction() as conn:
                audit.record(
                    conn, runtime.db.tables.audit, principal, _record_id(path_args, response), response.status_code
                )
        return response
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key won the race: answer what it answered.
        with runtime.db.read() as conn:
            replay = _replay(runtime.unit(conn, principal), runtime.db.tables.idempotency, key, declared)
        if replay is None:
            raise
        return replay


def _await_own_writes(runtime) -> None:
    """Wait, up to CONSISTENCY_WAIT_SECONDS, until this service has applied the events the request's
    Convene-Consistency tokens name; then answer 503 not_yet_consistent, never a false 404. Polled
    outside any transaction, by primary key, with pauses doubling from 10 ms to 200 ms."""
    values = request.headers.getlist(consistency.HEADER)
    if not values:
        return
    try:
        awaited = consistency.parse(values)
    except consistency.MalformedToken as error:
        raise Problem(
            400,
            "invalid_consistency_token",
            f"{consistency.HEADER} must be tokens this API answered with: {error}",
            errors=[{"field": consistency.HEADER, "message": str(error)}],
        ) from None
    watch = current_app.extensions["convene.inbox_watch"]
    expected = watch.expected(awaited)
    deadline = time.monotonic() + runtime.settings.consistency_wait_seconds
    pause = 0.01
    while expected:
        with runtime.db.read() as conn:
            expected = watch.missing(conn, expected)
        left = deadline - time.monotonic()
        if expected and left <= 0:
            raise Problem(
                503,
                "not_yet_consistent",
                f"this service has not yet applied the changes {consistency.HEADER} names; retry after "
                "Retry-After seconds",
                errors=[{"field": consistency.HEADER, "message": "not yet applied here"}],
                headers={"Retry-After": "1"},
            )
        if expected:
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.2)


def _record_id(path_args: dict, response: Response) -> str | None:
    """The record a call concerns: its first path argument, or the id it created."""
    if path_args:
        return str(next(iter(path_args.values())))
    if response.mimetype == "application/json" and response.status_code == 201:
        created = json.loads(response.get_data())
        return str(created.get("id")) if isinstance(created, dict) and created.get("id") else None
    return None


def _parse_body(schema: type[Schema]) -> dict:
    raw = request.get_data(cache=True)
    if raw:
        _require_json_content_type()
    if not raw.strip():
        document = {}
    else:
        try:
            document = json.loads(raw.decode("utf-8"))  # the one encoding the Content-Type may name
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise Problem(
                400,
                "malformed_json",
                "the request body is not valid JSON",
                errors=[{"field": "_body", "message": "not valid JSON"}],
            ) from None
    if not isinstance(document, dict):
        raise Problem(
            400,
            "body_not_object",
            "the request body must be a JSON object",
            errors=[{"field": "_body", "message": "must be an object"}],
        )
    _refuse_unstorable(document)
    return instance(schema).load(document)


def _is_json_media_type(mimetype: str) -> bool:
    """application/json, or a structured type built on it such as application/merge-patch+json."""
    kind, _, subtype = mimetype.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _require_json_content_type() -> None:
    """A body is JSON only when it says so: text/plain, a form or XML is refused, not parsed as
    JSON anyway, so a browser form or a no-CORS request from another site cannot write here.
    JSON is UTF-8 (RFC 8259 §8.1); a charset parameter may say so and nothing else."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if not _is_json_media_type(request.mimetype) or charset not in ("utf-8", "utf8"):
        headers = {"Accept-Patch": "application/json"} if request.method == "PATCH" else {}  # RFC 5789 §2.2
        raise Problem(
            415,
            "unsupported_media_type",
            "the request body must be JSON, sent with Content-Type application/json (or application/*+json) in UTF-8",
            errors=[{"field": "Content-Type", "message": "must be application/json"}],
            headers=headers,
        )


MAX_DEPTH = 20  # of nested objects and arrays in a request body: no schema here goes deeper than a few


def _refuse_unstorable(document: dict) -> None:
    """Refuse text no database stores as sent (a NUL character: PostgreSQL refuses it; an
    unpaired surrogate: not UTF-8), naming where it is, and bodies nested beyond MAX_DEPTH."""
    pending = [("", document, 0)]
    while pending:
        path, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise Problem(
                400,
                "too_deeply_nested",
                f"the request nests objects and arrays more than {MAX_DEPTH} deep",
                errors=[{"field": path, "message": "nested too deep"}],
            )
        if isinstance(value, str) and ("\x00" in value or _not_utf8(value)):
            raise Problem(
                400,
                "unstorable_text",
                "text must not hold NUL characters or unpaired surrogates",
                errors=[{"field": path or "_body", "message": "holds a NUL character or an unpaired surrogate"}],
            )
        if isinstance(value, dict):
            pending += [
                (f"{path}.{key}" if path else str(key), part, depth + 1)
                for key, item in value.items()
                for part in (key, item)
            ]
        elif isinstance(value, list):
            pending += [(f"{path}.{index}", item, depth + 1) for index, item in enumerate(value)]


def _not_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parse_query(schema: type[Schema] | None) -> dict | None:
    arguments = request.args.to_dict()
    if schema is None:
        if arguments:
            raise Problem(
                422,
                "unknown_query_parameter",
                "this endpoint takes no query parameters",
                errors=[{"field": name, "message": "Unknown field."} for name in arguments],
            )
        return None
    return instance(schema).load(arguments)


def _respond(declared: Endpoint, reply) -> Response:
    if isinstance(reply, Response):
        return reply
    if not isinstance(reply, Reply):
        reply = Reply(reply)
    status = reply.status or declared.status
    if declared.response is None or reply.body is None:
        payload = "" if reply.body is None else reply.body
        response = Response(payload, status=status, mimetype=declared.media_type)
    else:
        # shared.dumping answers what instance(schema).dump answers, planned once per schema.
        if declared.paged:
            page: Page = reply.body
            document = {
                "items": dumper(declared.response, many=True)(page.items),
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        else:
            document = dumper(declared.response)(reply.body)
        response = Response(JSON_ENCODER.encode(document), status=status, mimetype="application/json")
    response.headers.update(reply.headers)
    return response


def _fingerprint() -> str:
    return hashlib.sha256(
        request.method.encode() + request.path.encode() + b"\n" + request.get_data(cache=True)
    ).hexdigest()


@cache
def _recorded_answer(table: Table):
    """Built once per table: on the write path, building a statement costs more than running it."""
    return select(table).where(table.c.subject == bindparam("subject"), table.c.key == bindparam("key"))


def _replay(unit: Unit, keys: Table, key: str, declared: Endpoint) -> Response | None:
    row = unit.conn.execute(_recorded_answer(keys), {"subject": unit.principal.subject, "key": key}).first()
    if row is None:
        return None
    if row.fingerprint != _fingerprint():
        raise Problem(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
            errors=[{"field": "Idempotency-Key", "message": "already used for another request"}],
        )
    if declared.replay is not None and 200 <= row.status < 300:
        response = _respond(declared, Reply(declared.replay(unit, json.loads(row.body)["id"]), status=row.status))
        response.headers["Idempotent-Replayed"] = "true"
        return response
    response = Response(row.body, status=row.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _remember(
    conn: Connection, runtime, principal: Principal, key: str, response: Response, declared: Endpoint
) -> None:
    body = response.get_data(as_text=True)
    if declared.replay is not None and 200 <= response.status_code < 300:
        body = JSON_ENCODER.encode({"id": json.loads(body)["id"]})
    conn.execute(
        insert(runtime.db.tables.idempotency),
        {
            "subject": principal.subject,
            "key": key,
            "fingerprint": _fingerprint(),
            "status": response.status_code,
            "body": body,
            "created_at": utcnow(),
        },
    )
