"""The authorisation matrix of every service, generated from its served OpenAPI document:
each operation × each role × own region / another person / another region, on both
databases, with real objects of region Y56 behind every path parameter.

A role missing from an operation's `x-roles` must get 403; an allowed role gets the status
the service's table (authz_<service>.py) expects — 404 for another region's object, lists
without another region's rows. An operation or a cell without an expectation fails, so a
new endpoint cannot ship without saying who may call it.
"""
from __future__ import annotations

import pytest

from tests.integration.authz_enrolment import TABLE as ENROLMENT, EnrolmentWorld
from tests.integration.authz_feedback import TABLE as FEEDBACK, FeedbackWorld
from tests.integration.authz_matrix import plan, run_cell, started_worlds
from tests.integration.authz_scheduling import TABLE as SCHEDULING, SchedulingWorld

WORLDS = {"enrolment": (EnrolmentWorld, ENROLMENT), "scheduling": (SchedulingWorld, SCHEDULING), "feedback": (FeedbackWorld, FEEDBACK)}


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


@pytest.mark.parametrize("service", list(WORLDS))
def test_every_operation_has_an_expectation_for_every_role_and_scope(service, world_of, tmp_path):
    world = world_of(service, f"sqlite:///{tmp_path / 'plan.db'}")
    spec = world.client.get("/openapi.json").json
    cells, problems = plan(spec, WORLDS[service][1])
    assert not problems, "\n".join(problems)
    operations = {cell.operation_id for cell in cells}
    assert len(cells) == 13 * len(operations)


@pytest.mark.parametrize("service", list(WORLDS))
def test_every_role_gets_what_its_region_and_person_allow_on_every_operation(service, world_of, databases, make_token):
    world = world_of(service, databases.new(service))
    cells, problems = plan(world.client.get("/openapi.json").json, WORLDS[service][1])
    token = _token(make_token)
    failures = [failure for cell in cells for failure in run_cell(world, cell, token)]
    assert not problems + failures, "\n".join(problems + failures)
