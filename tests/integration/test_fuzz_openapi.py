"""Fuzzing each service through its own OpenAPI document with schemathesis: requests made
from the schemas — valid ones against real Y56 objects, then invalid ones — answered with no
server error, only documented statuses and content types, and bodies that fit the schema.

Deterministic (derandomised Hypothesis, no example database, no shrinking) and bounded: a
fixed number of examples per operation, caller and generation mode. Each operation is called
as every one of Y56's regional administrator, Y56's seeded participant and the national team
that its `x-roles` allows (the service client when none is). In valid requests, ids in the
path and in the body name the seeded objects, so the calls reach the use cases, not only the
404 of a made-up id; the reads must all succeed at least once.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from tests.integration.authz_enrolment import CAMDEN, CAMDEN_PRACTICE, EnrolmentWorld
from tests.integration.authz_feedback import FeedbackWorld
from tests.integration.authz_matrix import started_worlds
from tests.integration.authz_scheduling import SchedulingWorld
from tests.integration.test_scheduling_support import local

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# (mode, ids of seeded objects in path and body?, examples per operation and caller)
RUNS = ((GenerationMode.POSITIVE, True, 20), (GenerationMode.NEGATIVE, False, 8))
CALLERS = ("regional_admin", "participant", "national")


def _enrolment_ids(w) -> dict:
    return {"offer_id": w.offer, "participant_id": w.person, "participant_ids": [w.person], "enrolment_id": w.enrolment, "code": CAMDEN, "pcn_code": CAMDEN, "practice_code": CAMDEN_PRACTICE}


def _scheduling_ids(w) -> dict:
    # A start far ahead: a generated one is mostly in the past, which only meets that rule.
    ids = {"offer_id": w.offer, "session_id": w.session, "facilitator_id": w.facilitator, "participant_id": w.member, "coach_id": w.coach}
    return ids | {"starts_at": local(400)}


def _feedback_ids(w) -> dict:
    return {"session_id": w.session, "offer_id": w.offer, "pcn_code": CAMDEN}


WORLDS = {"enrolment": (EnrolmentWorld, _enrolment_ids), "scheduling": (SchedulingWorld, _scheduling_ids), "feedback": (FeedbackWorld, _feedback_ids)}


@pytest.fixture
def world_of(kafka_bootstrap, topic_prefix, signing_keys, make_token):
    classes = {service: world_class for service, (world_class, _) in WORLDS.items()}
    with started_worlds(classes, kafka_bootstrap, topic_prefix, signing_keys[1], make_token) as start:
        yield start


def _order(operation) -> tuple:
    """Reads first; what ends an object's life (cancel, complete, erase) last."""
    method, path = operation.method.upper(), operation.path
    return (method != "GET", method == "DELETE" or path.endswith(("/cancel", "/complete")), path, method)


def _callers(roles: list[str], world, make_token) -> list[tuple[str, dict]]:
    chosen = [role for role in CALLERS if role in roles] or [roles[0]]
    subjects = {"regional_admin": ("Y56", "fuzz-admin"), "participant": ("Y56", world.subject("participant", "own"))}
    return [(role, {"Authorization": "Bearer " + make_token(role, *subjects.get(role, (None, f"fuzz-{role}")))}) for role in chosen]


def _with_ids(value, ids: dict):
    """A generated body with every id field naming the seeded object of that name."""
    if isinstance(value, dict):
        return {key: ids[key] if key in ids else _with_ids(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_ids(item, ids) for item in value]
    return value


def _fuzz(operation, mode: GenerationMode, examples: int, headers: dict, ids: dict | None, statuses: list) -> list[str]:
    found: dict[str, str] = {}
    path_parameters = {p.name: ids[p.name] for p in operation.path_parameters} if ids else None

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters or None))
    def run(case):
        if ids and isinstance(case.body, dict):
            case.body = _with_ids(case.body, ids)
        try:
            statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup; the first of each kind is reported
            found.setdefault(_kind(error), f"{operation.label} [{mode.value}]: {_summary(error)}")

    run()
    return list(found.values())


def _lines(error) -> list[str]:
    return [line.strip() for line in str(error).splitlines() if line.strip()]


def _kind(error) -> str:
    lines = _lines(error)
    return " ".join(lines[1:3]) if len(lines) > 2 else type(error).__name__ + " " + " ".join(lines)


def _summary(error) -> str:
    """The failure's kind and message, the answer's status line and the reproducing request."""
    lines = _lines(error)
    keep = lines[1:3] + [line for line in lines if line.startswith(("[", "curl", "Value", "Received", "Documented"))]
    return "\n    ".join(keep or lines[:20])[:1200]


@pytest.mark.parametrize("service", list(WORLDS))
def test_fuzzed_requests_get_no_server_error_and_only_answers_the_openapi_document_allows(service, world_of, tmp_path, make_token):
    world = world_of(service, f"sqlite:///{tmp_path / 'fuzz.db'}")
    declared = world.client.get("/openapi.json").json["paths"]
    ids = WORLDS[service][1](world)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", world.service.app)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    assert len(operations) == sum(len(methods) for methods in declared.values())
    failures, succeeded = [], {}
    for operation in operations:
        for role, headers in _callers(declared[operation.path][operation.method.lower()]["x-roles"], world, make_token):
            if operation.method.upper() == "PATCH":
                headers = {**headers, "If-Match": "*"}
            for mode, seeded, examples in RUNS:
                statuses = []
                failures += [f"as {role}: {failure}" for failure in _fuzz(operation, mode, examples, headers, ids if seeded else None, statuses)]
                succeeded[operation.label] = succeeded.get(operation.label, False) or any(200 <= s < 300 for s in statuses)
    assert not failures, "\n\n".join(failures)
    never = [label for label, ok in succeeded.items() if label.startswith("GET ") and not ok]
    assert not never, f"reads that never succeeded (the fuzzing did not reach them): {never}"
