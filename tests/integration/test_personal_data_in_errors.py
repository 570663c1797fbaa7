"""Error responses never echo personal data, on both databases: a refused registration (a
duplicate e-mail, an invalid e-mail, a name too long or of the wrong type, a malformed body, a
reused Idempotency-Key) and refused free text in feedback name the field and the rule, never the
value; nor do the log records of those requests."""

import logging
from datetime import timedelta

import pytest

from shared.logs import JsonFormatter
from tests.integration.test_enrolment_support import CAMDEN, as_role, enrolment  # noqa: F401
from tests.integration.test_feedback_handlers import NOW, FeedbackWorld

NAME, EMAIL = "Wilhelmina Drabblecote", "wilhelmina.drabblecote@example.invalid"
PERSON = {"name": NAME, "email": EMAIL, "role": "gp", "pcn_code": CAMDEN, "leadership_experience": "none"}
SECRETS = (NAME, "Drabblecote", "Wilhelmina", EMAIL, "wilhelmina.drabblecote")


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter("captured"))

    def emit(self, record):
        self.lines.append(self.format(record) + " " + record.getMessage())


@pytest.fixture
def logged():
    root, handler = logging.getLogger(), Lines()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def echoed(response, *secrets) -> list[str]:
    text = response.get_data(as_text=True).lower() + " ".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
    return [secret for secret in (secrets or SECRETS) if secret.lower() in text]


def refused(response, status: int, field: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in [error["field"] for error in response.json.get("errors", [])], response.json
    assert echoed(response) == [], f"the problem detail echoes {echoed(response)}"


def test_refused_registrations_name_the_field_and_never_echo_the_name_or_e_mail(enrolment, as_role, logged):
    client, admin = enrolment.client, as_role()
    assert client.post("/v1/participants", json=PERSON, headers=admin).status_code == 201
    del logged[:]  # the registration itself may be logged; from here on only refusals

    refused(client.post("/v1/participants", json=PERSON, headers=admin), 409, "email")
    refused(
        client.post("/v1/participants", json=PERSON | {"email": EMAIL.upper(), "name": "Someone Else"}, headers=admin),
        409,
        "email",
    )
    refused(client.post("/v1/participants", json=PERSON | {"email": f"{NAME} <{EMAIL}"}, headers=admin), 422, "email")
    refused(
        client.post(
            "/v1/participants",
            json=PERSON | {"email": "wilhelmina.drabblecote" * 12 + "@example.invalid"},
            headers=admin,
        ),
        422,
        "email",
    )
    refused(
        client.post("/v1/participants", json=PERSON | {"email": "x@y.invalid", "name": NAME * 10}, headers=admin),
        422,
        "name",
    )
    refused(
        client.post("/v1/participants", json=PERSON | {"email": "x@y.invalid", "name": [NAME]}, headers=admin),
        422,
        "name",
    )
    refused(
        client.post("/v1/participants", json=PERSON | {"email": "x@y.invalid", "role": NAME}, headers=admin),
        422,
        "role",
    )
    refused(
        client.post("/v1/participants", json=PERSON | {"email": "x@y.invalid", "pcn_code": NAME}, headers=admin), 422
    )
    refused(
        client.post(
            "/v1/participants",
            data=f'{{"name": "{NAME}", "email": "{EMAIL}",',
            headers=admin | {"Content-Type": "application/json"},
        ),
        400,
    )

    keyed = admin | {"Idempotency-Key": "one-key"}
    assert client.post("/v1/participants", json=PERSON | {"email": "first@y.invalid"}, headers=keyed).status_code == 201
    refused(
        client.post("/v1/participants", json=PERSON | {"email": "second@y.invalid"}, headers=keyed),
        422,
        "Idempotency-Key",
    )

    assert logged, "nothing was logged: the capture is not working"
    assert [line for line in logged if any(secret.lower() in line.lower() for secret in SECRETS)] == []


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1])
    yield running
    running.service.stop()


def test_refused_free_text_in_feedback_is_never_echoed(world, make_token, logged):
    world.offer("o1")
    world.session("s1", "o1", ends_at=NOW - timedelta(days=1))
    world.attend("s1", "o1", "p1", ends_at=NOW - timedelta(days=1))
    world.member("o1", "p1")
    me = {"Authorization": "Bearer " + make_token("participant", "Y56", "p1")}
    too_long = f"{NAME} ({EMAIL}) " * 60
    answer = {"overall": 4, "usefulness": 4, "will_apply": 4, "recommend": "good"}
    refused(
        world.client.post("/v1/sessions/s1/feedback", json=answer | {"comment": too_long}, headers=me), 422, "comment"
    )
    refused(
        world.client.post("/v1/sessions/s1/feedback", json=answer | {"comment": [NAME]}, headers=me), 422, "comment"
    )
    refused(
        world.client.post("/v1/sessions/s1/feedback", json=answer | {"overall": NAME, "comment": NAME}, headers=me),
        422,
        "overall",
    )
    ratings = {
        "leadership": 5,
        "collaboration": 4,
        "dealing_with_conflict": 2,
        "innovation": 3,
        "teamwork": 4,
        "strategy": 1,
        "engagement": 2,
    }
    refused(
        world.client.post(
            "/v1/needs-surveys/responses", json={"ratings": ratings, "other_needs": too_long}, headers=me
        ),
        422,
        "other_needs",
    )
    refused(
        world.client.post(
            "/v1/needs-surveys/responses",
            json={"ratings": ratings | {"leadership": NAME}, "other_needs": NAME},
            headers=me,
        ),
        422,
    )
    assert (
        world.client.post("/v1/sessions/s1/feedback", json=answer | {"comment": f"from {NAME}"}, headers=me).status_code
        == 201
    )
    refused(world.client.post("/v1/sessions/s1/feedback", json=answer | {"comment": f"again, {NAME}"}, headers=me), 409)
    assert [line for line in logged if any(secret.lower() in line.lower() for secret in SECRETS)] == []
