"""The machinery of the authorisation matrix (tests in test_authorization_matrix.py).

The policy is docs/authorization.md: a table per service, a row per operation, a column per
role saying what it gets (one of TERMS, or `—` for refused) and whether a successful call
leaves an audit row. A cell of the matrix is (operation, role, scope): operations come from
the service's served OpenAPI document, roles from each operation's `x-roles`, and what a cell
expects from the doc's term for that role. The scopes of a role:

- `own`: a caller of region Y56, where every seeded object lives; for a participant,
  facilitator or coach, the very person the objects belong to (the member, the leader);
- `stranger` (participants, facilitators, coaches): another person of Y56;
- `other`: a caller of region Y58 (for people: a person of Y58);
- `any`: national and service callers, whose tokens carry no region.

A term grants the seeded Y56 object in some scopes (`own region`: own and stranger; `own
objects`: own only; ...). Granted, a cell expects the operation's success status from the
OpenAPI document, or SEES for a list (200, the seeded object in the answer); not granted, it
expects 404 (BLIND for a list without path parameters: 200 without the object) unless the
service's table says how that request is refused instead. A role missing from `x-roles` must
get 403 role_not_allowed. A route without a bearer token (`x-public`: a secret address is its
credential) has no `x-roles`: its row says `anyone with the address` in every column, and every
caller, whatever their token, gets the object by the address. Each service's table
(authz_<service>.py) says, per operationId, only how to call it with real objects and what
getting the object or not looks like; who gets what is the doc's alone. A missing row, a role
the doc and the code disagree on, or an operation without a table entry fails, so a new
endpoint cannot ship without saying who may call it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

DOC = Path(__file__).resolve().parents[2] / "docs" / "authorization.md"
OWN_REGION, OTHER_REGION = "Y56", "Y58"
SCOPES = {
    "regional_admin": ("own", "other"),
    "facilitator": ("own", "stranger", "other"),
    "coach": ("own", "stranger", "other"),
    "participant": ("own", "stranger", "other"),
    "national": ("any",),
    "service": ("any",),
}
SEES, BLIND, DENIED = "sees", "blind", "denied"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

REFUSED = "—"
ANYONE = "anyone with the address"
# Each term of the doc: in which scopes the caller gets the seeded Y56 object.
TERMS = {
    "every region": lambda scope: True,
    "figures only": lambda scope: True,
    "own region": lambda scope: scope in ("own", "stranger"),
    "own objects": lambda scope: scope == "own",
    "creates in own region": lambda scope: True,
    "creates national offers": lambda scope: True,
    "national offers only": lambda scope: False,
    # A system's own webhook subscriptions (the matrix's service caller owns the seeded one).
    "own subscriptions": lambda scope: True,
    # A route without a bearer token (OpenAPI `x-public`): the secret in its address is the
    # credential, so every caller holding it gets the object, whatever their role or token.
    ANYONE: lambda scope: True,
}
CREATES = {
    "creates in own region": None,
    "creates national offers": "national",
}  # the region of what is created (None: the caller's)
NON_REGIONAL = ("national", "service")
# Keys of an answer that name or quote a person: a `figures only` answer holds none of them.
PERSON_KEYS = frozenset(
    {
        "participant_id",
        "participant_ids",
        "coachee_id",
        "facilitator_id",
        "coach_id",
        "person_id",
        "members",
        "name",
        "email",
        "subject",
        "comment",
        "text",
    }
)


@dataclass(frozen=True)
class Policy:
    """One row of docs/authorization.md: what each role gets on one operation."""

    method: str
    path: str
    holds: str
    grants: dict  # role -> the cell's text
    audited: bool

    def term(self, role: str) -> str:
        """The cell's leading term (what follows in brackets is a note for people)."""
        return self.grants[role].split(" (")[0].strip()

    @property
    def personal(self) -> bool:
        return self.holds.startswith("personal:")

    @property
    def public(self) -> bool:
        """Every role's cell says `anyone with the address`: a route without a bearer token."""
        return all(self.term(role) == ANYONE for role in SCOPES)


def read_policy(service: str, text: str | None = None) -> tuple[dict[tuple[str, str], Policy], list[str]]:
    """The rows of the service's table in docs/authorization.md, by (METHOD, path), and what is wrong with them."""
    lines = (DOC.read_text() if text is None else text).splitlines()
    heading = f"## {service.capitalize()} service"
    if heading not in lines:
        return {}, [f"docs/authorization.md has no section {heading!r}"]
    table = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif table or line.startswith("## "):
            break
    columns = [re.sub(r"\W+", "_", cell.lower()).strip("_") for cell in table[0]] if table else []
    missing = [name for name in ("operation", "what_the_answer_holds", *SCOPES, "audit_row") if name not in columns]
    if missing:
        return {}, [f"{heading}: the table has no column {missing}"]
    rows, problems = {}, []
    for cells in table[2:]:
        row = dict(zip(columns, cells))
        named = re.fullmatch(r"`(GET|POST|PUT|PATCH|DELETE) (/\S*)`", row["operation"])
        if named is None:
            problems.append(f"{heading}: {row['operation']!r} is not `METHOD /path`")
            continue
        audit = row["audit_row"].split()[0] if row["audit_row"] else ""
        policy = Policy(
            named[1],
            named[2],
            row["what_the_answer_holds"],
            {role: row[role].strip("`") for role in SCOPES},
            audit == "yes",
        )
        problems += [
            f"{heading}: {row['operation']}: the audit row column says {row['audit_row']!r}, not yes or no"
        ] * (audit not in ("yes", "no"))
        problems += [
            f"{heading}: {row['operation']}: {role} gets {policy.grants[role]!r}, which is no term of the legend"
            for role in SCOPES
            if policy.grants[role] != REFUSED and policy.term(role) not in TERMS
        ]
        problems += [f"{heading}: {row['operation']}: `{ANYONE}` is for every role or none"] * (
            not policy.public and any(policy.grants[role] != REFUSED and policy.term(role) == ANYONE for role in SCOPES)
        )
        if (policy.method, policy.path) in rows:
            problems.append(f"{heading}: {row['operation']} has two rows")
        rows[(policy.method, policy.path)] = policy
    return rows, problems


def least_privilege(policy: Policy) -> list[str]:
    """What the doc itself grants too widely: a person-level answer to a role without a region
    must be refused or audited, and never called `figures only`."""
    where = f"{policy.method} {policy.path}"
    problems = []
    if policy.public:
        return []  # no role grants it: whoever holds the secret address does (see `plan`)
    for role in NON_REGIONAL:
        if policy.grants[role] != REFUSED and policy.personal and not policy.audited:
            problems.append(
                f"{where}: the doc grants {role} a personal answer ({policy.holds!r}) without an audit row: "
                "refuse it, or audit it and say why"
            )
    for role in SCOPES:
        if policy.grants[role] != REFUSED and policy.term(role) == "figures only" and policy.personal:
            problems.append(f"{where}: {role} gets `figures only` of an answer the doc calls personal")
    return problems


@dataclass(frozen=True)
class Caller:
    role: str
    scope: str
    subject: str

    @property
    def region(self) -> str | None:
        return {"own": OWN_REGION, "stranger": OWN_REGION, "other": OTHER_REGION}.get(self.scope)


@dataclass
class Request:
    params: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    body: Any = None
    headers: dict = field(default_factory=dict)


@dataclass
class Operation:
    """How to call one operation in a cell, and what getting the seeded object looks like.

    `request(world, caller)` returns a Request (or a list: variants that must all meet the
    expectation), creating fresh Y56 objects when the call changes them. `shows(world, caller,
    response)` says whether the seeded Y56 object is in a list answer (the granted then expect
    SEES, the others BLIND). `outside` is what a caller the doc does not grant the object gets
    when that is not 404 (or BLIND): one value, or {role: value}, or {role: {scope: value}}.
    `unknown` names path parameters whose unknown value must look different from UNKNOWN_ID.
    """

    request: Callable[[Any, Caller], Request | list[Request]]
    shows: Callable[[Any, Caller, Any], bool] | None = None
    outside: Any = None
    unknown: dict = field(default_factory=dict)

    def refusal(self, role: str, scope: str, path: str):
        chosen = self.outside
        for key in (role, scope):
            if isinstance(chosen, dict):
                chosen = chosen.get(key)
        if chosen is not None:
            return chosen
        return BLIND if self.shows and "{" not in path else 404


@dataclass(frozen=True)
class Cell:
    operation_id: str
    method: str
    path: str
    role: str
    scope: str
    expected: Any
    operation: Operation | None
    term: str | None = None
    audited: bool = False


class World:
    """What every service's world shares: its running service, its people and fresh serials."""

    service: Any
    people: dict
    _serial: int

    def subject(self, role: str, scope: str) -> str:
        return self.people[scope] if role == "participant" else f"{role}-{scope}"

    def stop(self) -> None:
        self.service.stop()

    def serial(self) -> int:
        self._serial += 1
        return self._serial

    def audit_rows(self) -> int:
        db = self.service.runtime.db
        with db.read() as conn:
            return conn.execute(select(func.count()).select_from(db.tables.audit)).scalar_one()


@contextmanager
def started_worlds(classes: dict[str, type], *arguments) -> Iterator[Callable[[str, str], World]]:
    """start(service, database_url) builds that service's world; every one is stopped at the end."""
    started = []

    def start(service: str, database_url: str) -> World:
        world = classes[service](database_url, *arguments)
        started.append(world)
        return world

    try:
        yield start
    finally:
        for world in started:
            world.stop()


def plan(
    spec: dict, table: dict[str, Operation], policy: dict[tuple[str, str], Policy]
) -> tuple[list[Cell], list[str]]:
    """Every cell of the service's OpenAPI with its expectation from the doc, and what the doc,
    the code or the table lack or disagree on."""
    cells, problems, seen = [], [], set()
    for path, methods in spec["paths"].items():
        for method, declared in methods.items():
            operation_id, where = declared["operationId"], f"{method.upper()} {path}"
            seen.add((method.upper(), path))
            public = bool(declared.get("x-public"))
            # A public operation takes no token, so no role is refused: every caller is tried.
            allowed = set(SCOPES) if public else set(declared.get("x-roles") or [])
            if not allowed:
                problems.append(f"{where}: the OpenAPI operation has no x-roles")
            entry = table.get(operation_id)
            if entry is None:
                problems.append(f"{operation_id}: no entry in the service's table (add how to call it)")
            row = policy.get((method.upper(), path))
            if row is None:
                problems.append(f"{where} ({operation_id}): no row in docs/authorization.md (say who gets what)")
            elif row.public != public:
                problems.append(
                    f"{where}: docs/authorization.md says `{ANYONE}` in every column exactly when the operation "
                    f"takes no bearer token (x-public), but x-public is {public}"
                )
            else:
                granted = {role for role in SCOPES if row.grants[role] != REFUSED}
                if granted != allowed:
                    problems.append(
                        f"{where}: docs/authorization.md grants {sorted(granted)}, but x-roles is {sorted(allowed)}"
                    )
                problems += least_privilege(row)
            for role, scopes in SCOPES.items():
                if role not in allowed:
                    cells += [Cell(operation_id, method.upper(), path, role, scope, DENIED, entry) for scope in scopes]
                elif entry is not None and row is not None and row.grants[role] != REFUSED and row.term(role) in TERMS:
                    term = row.term(role)
                    success = (
                        SEES
                        if entry.shows
                        else int(next(status for status in declared["responses"] if status.startswith("2")))
                    )
                    cells += [
                        Cell(
                            operation_id,
                            method.upper(),
                            path,
                            role,
                            scope,
                            success if TERMS[term](scope) else entry.refusal(role, scope, path),
                            entry,
                            term,
                            row.audited,
                        )
                        for scope in scopes
                    ]
    problems += [
        f"{method} {path}: in docs/authorization.md but not in the OpenAPI document"
        for method, path in sorted(set(policy) - seen)
    ]
    problems += [
        f"{name}: in the service's table but not in the OpenAPI document"
        for name in sorted(set(table) - {d["operationId"] for m in spec["paths"].values() for d in m.values()})
    ]
    return cells, problems


def send(client, cell: Cell, request: Request, headers: dict):
    names = set(request.params)
    path = cell.path
    for name in names:
        path = path.replace("{" + name + "}", quote(str(request.params[name]), safe=""))
    if "{" in path:
        raise AssertionError(f"{cell.operation_id}: the request builder left path parameters unfilled in {path}")
    options = {"headers": {**headers, **request.headers}, "query_string": request.query}
    if request.body is not None:
        options["json"] = request.body
    return client.open(path, method=cell.method, **options)


def run_cell(world, cell: Cell, token: Callable[[Caller], str]) -> list[str]:
    """Call the cell's operation as its caller; the mismatches with its expectation."""
    caller = Caller(cell.role, cell.scope, world.subject(cell.role, cell.scope))
    headers = {"Authorization": "Bearer " + token(caller)}
    built = cell.operation.request(world, caller) if cell.operation else Request()
    failures = []
    for request in built if isinstance(built, list) else [built]:
        if cell.operation is None:  # a denied role of an operation the table lacks: still checked
            request = Request(params={name: UNKNOWN_ID for name in _path_names(cell.path)})
        before = world.audit_rows()
        response = send(world.client, cell, request, headers)
        audit_rows = world.audit_rows() - before
        failure = (
            _judge(world, cell, caller, request, response, headers)
            or _audited(cell, response, audit_rows)
            or _holds(cell, caller, response)
        )
        if failure:
            failures.append(f"{cell.operation_id} as {cell.role}/{cell.scope}: {failure}")
    return failures


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _judge(world, cell: Cell, caller: Caller, request: Request, response, headers: dict) -> str | None:
    got = f"got {response.status_code} {_rule(response)}"
    expected = cell.expected
    if expected == DENIED:
        return (
            None
            if (response.status_code, _rule(response)) == (403, "role_not_allowed")
            else f"expected 403 role_not_allowed, {got}"
        )
    if expected in (SEES, BLIND):
        if response.status_code != 200:
            return f"expected 200 ({expected}), {got}"
        shown = cell.operation.shows(world, caller, response)
        if shown != (expected == SEES):
            return "the answer shows the seeded Y56 object" if shown else "the answer lacks the seeded Y56 object"
        return None
    if response.status_code != expected:
        return f"expected {expected}, {got}"
    if expected == 404 and request.params:
        # No existence leak: the object of another region answers as a made-up id does.
        unknown = Request(
            {n: cell.operation.unknown.get(n, UNKNOWN_ID) for n in request.params},
            request.query,
            request.body,
            request.headers,
        )
        twin = send(world.client, cell, unknown, headers)
        if (twin.status_code, _rule(twin)) != (404, _rule(response)):
            return f"404 {_rule(response)} differs from an unknown id's {twin.status_code} {_rule(twin)}"
    return None


def _audited(cell: Cell, response, rows: int) -> str | None:
    """A successful call leaves an audit row exactly when the doc says it does."""
    if cell.expected == DENIED or not 200 <= response.status_code < 300 or (rows > 0) == cell.audited:
        return None
    return (
        "the doc promises an audit row, but the call left none"
        if cell.audited
        else f"the call left {rows} audit row(s) the doc does not mention"
    )


def _holds(cell: Cell, caller: Caller, response) -> str | None:
    """What the doc's term promises about a successful answer's content."""
    if cell.expected == DENIED or not 200 <= response.status_code < 300 or response.mimetype != "application/json":
        return None
    if cell.term == "figures only":
        named = sorted(_keys(response.get_json()) & PERSON_KEYS)
        return f"`figures only`, but the answer holds {named}" if named else None
    if cell.term in CREATES and isinstance(response.get_json(), dict) and "region" in response.get_json():
        region = CREATES[cell.term] or caller.region
        return (
            None
            if response.get_json()["region"] == region
            else f"created in region {response.get_json()['region']}, not {region}"
        )
    return None


def _keys(document) -> set:
    if isinstance(document, dict):
        return set(document) | set().union(*map(_keys, document.values()))
    if isinstance(document, list):
        return set().union(*map(_keys, document))
    return set()


def _rule(response) -> str:
    if response.mimetype == "application/problem+json":
        return response.get_json().get("rule", "")
    return ""
