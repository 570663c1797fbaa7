"""The authorisation matrix of every service, generated from its served OpenAPI document and
checked against docs/authorization.md: each operation × each role × own region / another
person / another region, on both databases, with real objects of region Y56 behind every path
parameter.

The doc must have a row for every operation and no other, grant exactly the roles of its
`x-roles`, and grant no person-level answer to the national team or a service unless it is
audited. Then every cell is called: a role missing from `x-roles` must get 403; an allowed role
gets what the doc's term says for its scope — the object, or 404 as if it did not exist (lists
without it) — and a successful call leaves an audit row exactly when the doc says so.
"""

from __future__ import annotations

import pytest

from tests.integration.authz_enrolment import TABLE as ENROLMENT
from tests.integration.authz_enrolment import EnrolmentWorld
from tests.integration.authz_feedback import TABLE as FEEDBACK
from tests.integration.authz_feedback import FeedbackWorld
from tests.integration.authz_matrix import DOC, plan, read_policy, run_cell, started_worlds
from tests.integration.authz_scheduling import TABLE as SCHEDULING
from tests.integration.authz_scheduling import SchedulingWorld
from tests.integration.authz_subscriptions import TABLE as SUBSCRIPTIONS
from tests.integration.authz_subscriptions import SubscriptionsWorld

WORLDS = {
    "enrolment": (EnrolmentWorld, ENROLMENT),
    "scheduling": (SchedulingWorld, SCHEDULING),
    "feedback": (FeedbackWorld, FEEDBACK),
    "subscriptions": (SubscriptionsWorld, SUBSCRIPTIONS),
}


@pytest.fixture
def world_of(kafka_bootstrap, topic_prefix, signing_keys, make_token):
    classes = {service: world_class for service, (world_class, _) in WORLDS.items()}
    with started_worlds(classes, kafka_bootstrap, topic_prefix, signing_keys[1], make_token) as start:
        yield start


def _token(make_token):
    """One token per caller (minting loads the RSA key: slow enough to matter over ~700 calls)."""
    minted = {}

    def token(caller):
        key = (caller.role, caller.region, caller.subject)
        if key not in minted:
            minted[key] = make_token(*key)
        return minted[key]

    return token


def _plan(world, service: str, doc: str | None = None):
    policy, problems = read_policy(service, doc)
    cells, more = plan(world.client.get("/openapi.json").json, WORLDS[service][1], policy)
    return cells, problems + more


@pytest.mark.parametrize("service", list(WORLDS))
def test_every_operation_has_a_row_in_the_doc_granting_exactly_its_x_roles_and_a_way_to_call_it(
    service, world_of, tmp_path
):
    world = world_of(service, f"sqlite:///{tmp_path / 'plan.db'}")
    cells, problems = _plan(world, service)
    assert not problems, "\n".join(problems)
    operations = {cell.operation_id for cell in cells}
    assert len(cells) == 13 * len(operations)


def test_a_doc_that_drifts_from_the_code_or_grants_the_national_team_people_fails_the_matrix(world_of, tmp_path):
    world = world_of("enrolment", f"sqlite:///{tmp_path / 'plan.db'}")
    roster = "| `GET /v1/offers/{offer_id}/enrolments` |"
    row = next(line for line in DOC.read_text().splitlines() if line.startswith(roster))
    cells = row.split("|")
    cells[-4] = " figures only "  # the national column: a personal roster called figures, and not audited
    drifted = DOC.read_text().replace(row, "|".join(cells)).replace("| `GET /v1/regions` |", "| `GET /v1/countries` |")
    _, problems = _plan(world, "enrolment", drifted)
    assert any(
        "GET /v1/offers/{offer_id}/enrolments: docs/authorization.md grants ['national', 'regional_admin'], but "
        "x-roles is ['regional_admin']" in p
        for p in problems
    )
    assert any("the doc grants national a personal answer" in p for p in problems)
    assert any("`figures only` of an answer the doc calls personal" in p for p in problems)
    assert any(p.startswith("GET /v1/regions (list_regions): no row in docs/authorization.md") for p in problems)
    assert any(
        p.startswith("GET /v1/countries: in docs/authorization.md but not in the OpenAPI document") for p in problems
    )


@pytest.mark.parametrize("service", list(WORLDS))
def test_every_role_gets_what_the_doc_says_for_its_region_and_person_on_every_operation(
    service, world_of, databases, make_token
):
    world = world_of(service, databases.new(service))
    cells, problems = _plan(world, service)
    token = _token(make_token)
    failures = [failure for cell in cells for failure in run_cell(world, cell, token)]
    assert not problems + failures, "\n".join(problems + failures)
