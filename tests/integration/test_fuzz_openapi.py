"""Fuzzing each service through its own OpenAPI document with schemathesis and every check it
has (`--checks all`): requests made from the schemas — schemathesis' coverage cases (each
boundary, a missing header, an undeclared method, a body in another media type), then valid
ones against real Y56 objects, then invalid ones — answered with no server error, only
documented statuses and content types, bodies that fit the schema, invalid data refused, 405
with Allow for an undeclared method, 415 for a body in another media type, 401 without a token.

Deterministic (derandomised Hypothesis, no example database, no shrinking) and bounded: a
fixed number of examples per operation, caller and generation mode. Each operation is called
as every one of Y56's regional administrator, Y56's seeded participant and the national team
that its `x-roles` allows (the service client when none is; with no token at all when the route
takes none, `x-public`). In valid requests, ids in the path and in the body name the seeded
objects, so the calls reach the use cases, not only the 404 of a made-up id; the reads must all
succeed at least once.
"""

from __future__ import annotations

import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.authz_enrolment import CAMDEN, CAMDEN_PRACTICE, EnrolmentWorld
from tests.integration.authz_feedback import FeedbackWorld
from tests.integration.authz_matrix import started_worlds
from tests.integration.authz_scheduling import SchedulingWorld
from tests.integration.test_scheduling_support import local

# A request of the right shape may still break a rule, and is then refused naming it (409, 412,
# 422 or 428 for the business; 400 for text no database stores): the OpenAPI document describes
# shapes. Only a refusal of the shape itself means the document promised more than the service takes.
SHAPE_RULES = {
    "invalid_request",
    "unknown_query_parameter",
    "malformed_json",
    "body_not_object",
    "unsupported_media_type",
}


def positive_data_acceptance_beyond_business_rules(ctx, response, case):
    """schemathesis' positive_data_acceptance, with business-rule refusals allowed."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code in (400, 409, 412, 422, 428) and response.json().get("rule") not in SHAPE_RULES:
            return None
        raise


# `--checks all`, positive_data_acceptance as above.
CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check is not positive_data_acceptance] + [
    positive_data_acceptance_beyond_business_rules
]
# A versioned change (PATCH, some PUTs) without If-Match is answered 428 Precondition Required
# (RFC 6585), the status made for it.
CONFIG = {
    "checks": {"missing_required_header": {"expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]}}
}
# (mode, ids of seeded objects in path and body?, examples per operation and caller)
RUNS = ((GenerationMode.POSITIVE, True, 20), (GenerationMode.NEGATIVE, False, 8))
CALLERS = ("regional_admin", "participant", "national")


def _enrolment_ids(w) -> dict:
    return {
        "offer_id": w.offer,
        "participant_id": w.person,
        "participant_ids": [w.person],
        "enrolment_id": w.enrolment,
        "code": CAMDEN,
        "pcn_code": CAMDEN,
        "practice_code": CAMDEN_PRACTICE,
    }


def _scheduling_ids(w) -> dict:
    # A start far ahead: a generated one is mostly in the past, which only meets that rule.
    ids = {
        "offer_id": w.offer,
        "session_id": w.session,
        "facilitator_id": w.facilitator,
        "participant_id": w.member,
        "coach_id": w.coach,
        # The member's subscription address; reads run first, before a POST replaces it.
        "secret": w.feed_secret(),
    }
    return ids | {"starts_at": local(400)}


def _feedback_ids(w) -> dict:
    return {"session_id": w.session, "offer_id": w.offer, "pcn_code": CAMDEN}


WORLDS = {
    "enrolment": (EnrolmentWorld, _enrolment_ids),
    "scheduling": (SchedulingWorld, _scheduling_ids),
    "feedback": (FeedbackWorld, _feedback_ids),
}


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
    if not roles:  # a route without a bearer token (x-public): called as a calendar app calls it
        return [("no token", {})]
    chosen = [role for role in CALLERS if role in roles] or [roles[0]]
    subjects = {"regional_admin": ("Y56", "fuzz-admin"), "participant": ("Y56", world.subject("participant", "own"))}
    return [
        (role, {"Authorization": "Bearer " + make_token(role, *subjects.get(role, (None, f"fuzz-{role}")))})
        for role in chosen
    ]


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

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters or None))
    def run(case):
        if ids and isinstance(case.body, dict):
            case.body = _with_ids(case.body, ids)
        _call(case, headers, statuses, found, f"{operation.label} [{mode.value}]")

    run()
    return list(found.values())


def _cover(operation, headers: dict, ids: dict, statuses: list) -> list[str]:
    """schemathesis' coverage phase: its deterministic cases, both valid and invalid, against the seeded objects."""
    found: dict[str, str] = {}
    path_parameters = {p.name: ids[p.name] for p in operation.path_parameters}
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(path_parameters=path_parameters),
        feedback=FeedbackSources(),
    )
    for case in generator:
        _call(case, headers, statuses, found, f"{operation.label} [coverage]")
    return list(found.values())


def _call(case, headers: dict, statuses: list, found: dict, label: str) -> None:
    """Send the case and run every check; the first failure of each kind is kept, with the answer's body."""
    response = case.call(headers=headers)
    statuses.append(response.status_code)
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup
        found.setdefault(_kind(error), f"{label}: {_summary(error)}\n    answered: {response.text[:300]}")


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
def test_fuzzed_requests_get_no_server_error_and_only_answers_the_openapi_document_allows(
    service, world_of, tmp_path, make_token
):
    world = world_of(service, f"sqlite:///{tmp_path / 'fuzz.db'}")
    declared = world.client.get("/openapi.json").json["paths"]
    ids = WORLDS[service][1](world)
    schema = schemathesis.openapi.from_wsgi(
        "/openapi.json", world.service.app, config=SchemathesisConfig.from_dict(CONFIG)
    )
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    assert len(operations) == sum(len(methods) for methods in declared.values())
    failures, succeeded = [], {}
    for operation in operations:
        for role, headers in _callers(declared[operation.path][operation.method.lower()]["x-roles"], world, make_token):
            statuses = []
            failures += [
                f"as {role}: {failure}" for failure in _cover(operation, headers, ids, statuses)
            ]  # its own If-Match, or none
            parameters = declared[operation.path][operation.method.lower()]["parameters"]
            if any(p.get("name") == "If-Match" for p in parameters):  # a versioned change (PATCH, some PUTs)
                headers = {**headers, "If-Match": "*"}
            for mode, seeded, examples in RUNS:
                failures += [
                    f"as {role}: {failure}"
                    for failure in _fuzz(operation, mode, examples, headers, ids if seeded else None, statuses)
                ]
            succeeded[operation.label] = succeeded.get(operation.label, False) or any(200 <= s < 300 for s in statuses)
    assert not failures, "\n\n".join(failures)
    never = [label for label, ok in succeeded.items() if label.startswith("GET ") and not ok]
    assert not never, f"reads that never succeeded (the fuzzing did not reach them): {never}"
