"""The machinery of the authorisation matrix (tests in test_authorization_matrix.py).

A cell is (operation, role, scope). Operations come from the service's served OpenAPI
document, roles from each operation's `x-roles`. The scopes of a role:

- `own`: a caller of region Y56, where every seeded object lives; for a participant,
  facilitator or coach, the very person the objects belong to (the member, the leader);
- `stranger` (participants, facilitators, coaches): another person of Y56;
- `other`: a caller of region Y58 (for people: a person of Y58);
- `any`: national and service callers, whose tokens carry no region.

An expectation is a status, SEES or BLIND (200, and the seeded Y56 object is / is not in
the answer: lists never show another region's rows), or DENIED (403 role_not_allowed,
which every role missing from `x-roles` must meet). Each service's table (authz_<service>.py)
names, per operationId, how to build a valid request for a cell and what each allowed role
gets in each scope; a cell without an expectation, or an operation without an entry, fails.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import quote

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
    """How to call one operation in a cell, and what each allowed role gets.

    `request(world, caller)` returns a Request (or a list: variants that must all meet the
    expectation), creating fresh Y56 objects when the call changes them. `expect` maps each
    allowed role to one expectation for all its scopes, or to {scope: expectation}.
    `shows(world, caller, response)` says whether the seeded Y56 object is in a list answer.
    `unknown` names path parameters whose unknown value must look different from UNKNOWN_ID.
    """

    request: Callable[[Any, Caller], Request | list[Request]]
    expect: dict
    shows: Callable[[Any, Caller, Any], bool] | None = None
    unknown: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    operation_id: str
    method: str
    path: str
    role: str
    scope: str
    expected: Any
    operation: Operation | None


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


def own_only(status, *, roles=("regional_admin",)) -> dict:
    """`status` inside the caller's own region (own person), 404 anywhere else."""
    return {role: {scope: (status if scope == "own" else 404) for scope in SCOPES[role]} for role in roles}


def plan(spec: dict, table: dict[str, Operation]) -> tuple[list[Cell], list[str]]:
    """Every cell of the service's OpenAPI with its expectation, and what the table lacks."""
    cells, problems, seen = [], [], set()
    for path, methods in spec["paths"].items():
        for method, declared in methods.items():
            operation_id = declared["operationId"]
            seen.add(operation_id)
            allowed = set(declared.get("x-roles") or [])
            if not allowed:
                problems.append(f"{operation_id}: the OpenAPI operation has no x-roles")
            entry = table.get(operation_id)
            if entry is None:
                problems.append(f"{operation_id}: no entry in the expectations table (add how to call it and what each role gets)")
            elif set(entry.expect) - allowed:
                problems.append(f"{operation_id}: the table expects {sorted(set(entry.expect) - allowed)} to be allowed, but x-roles is {sorted(allowed)}")
            for role, scopes in SCOPES.items():
                expected = _expected(entry, role, allowed, problems, operation_id)
                for scope in scopes:
                    value = expected.get(scope) if isinstance(expected, dict) else expected
                    if value is None:
                        if entry is not None and role in entry.expect:
                            problems.append(f"{operation_id}: no expectation for {role} in scope {scope}")
                        continue
                    cells.append(Cell(operation_id, method.upper(), path, role, scope, value, entry))
    problems += [f"{name}: in the expectations table but not in the OpenAPI document" for name in sorted(set(table) - seen)]
    return cells, problems


def _expected(entry, role, allowed, problems, operation_id):
    if role not in allowed:
        return DENIED
    if entry is None:
        return None
    if role not in entry.expect:
        problems.append(f"{operation_id}: x-roles allows {role}, but the table has no expectation for it")
        return None
    expected = entry.expect[role]
    if isinstance(expected, dict) and set(expected) != set(SCOPES[role]):
        problems.append(f"{operation_id}: {role}'s expectations must name exactly the scopes {SCOPES[role]}")
    return expected


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
        response = send(world.client, cell, request, headers)
        failure = _judge(world, cell, caller, request, response, headers)
        if failure:
            failures.append(f"{cell.operation_id} as {cell.role}/{cell.scope}: {failure}")
    return failures


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _judge(world, cell: Cell, caller: Caller, request: Request, response, headers: dict) -> str | None:
    got = f"got {response.status_code} {_rule(response)}"
    expected = cell.expected
    if expected == DENIED:
        return None if (response.status_code, _rule(response)) == (403, "role_not_allowed") else f"expected 403 role_not_allowed, {got}"
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
        unknown = Request({n: cell.operation.unknown.get(n, UNKNOWN_ID) for n in request.params}, request.query, request.body, request.headers)
        twin = send(world.client, cell, unknown, headers)
        if (twin.status_code, _rule(twin)) != (404, _rule(response)):
            return f"404 {_rule(response)} differs from an unknown id's {twin.status_code} {_rule(twin)}"
    return None


def _rule(response) -> str:
    if response.mimetype == "application/problem+json":
        return response.get_json().get("rule", "")
    return ""
