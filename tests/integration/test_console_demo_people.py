"""The development identity provider's demo people, signed in through its real authorization code
flow, call the services with the access tokens it issues, and the services accept them as the
person they are: by the key file (as `make up` runs the services) and by the provider's JWKS (as
production verifies its issuer). `make token`'s tokens pass both ways too. The participant,
facilitator and coach are known to the services by the fixed Convene ids the demo data gives them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from services.demo import DEMO_COACH, DEMO_FACILITATOR, DEMO_PARTICIPANT
from services.enrolment.usecases import participants
from services.enrolment.usecases.reference import import_files
from services.scheduling.usecases import facilitators
from shared.auth import Principal, Role, mint_token
from tests.e2e.conftest import SAMPLE
from tests.e2e.console import identity_provider
from tests.harness import RunningService, service_environment

CALLBACK = "http://127.0.0.1:9/auth/callback"  # never followed: the code is read from the redirect


def signed_in(provider_url: str, sub: str) -> str:
    """The access token the console would get for `sub` after the provider's sign-in form."""
    query = {
        "client_id": "convene-console",
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid profile email",
        "state": "state",
        "nonce": "nonce",
    }
    form = requests.get(f"{provider_url}/oauth2/authorize", params=query, timeout=5)
    assert form.status_code == 200 and f'value="{sub}"' in form.text, "a one-click button for each demo person"
    answer = requests.post(
        f"{provider_url}/oauth2/authorize", params=query, data={"sub": sub}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    issued = requests.post(
        f"{provider_url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=("convene-console", "development"),
        timeout=5,
    )
    assert issued.status_code == 200, issued.text
    return issued.json()["access_token"]


@pytest.fixture(params=["key file", "jwks"])
def stack(request, databases, kafka_bootstrap, topic_prefix, signing_keys, tmp_path):
    """The provider, and enrolment and scheduling verifying its tokens one way or the other, holding
    the demo participant, facilitator and coach under their fixed ids."""
    provider = identity_provider(signing_keys, tmp_path).start()
    services = {}
    for name in ("enrolment", "scheduling"):
        environ = service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        environ["JWT_ISSUER"] = provider.base_url
        if request.param == "jwks":
            environ["JWT_JWKS_URL"] = provider.base_url + "/jwks"
        services[name] = RunningService(name, environ)
    enrolment, scheduling = services["enrolment"], services["scheduling"]
    admin = Principal("demo-admin-y56", Role.REGIONAL_ADMIN, "Y56")
    with enrolment.runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
        body = {
            "name": "Jo Example",
            "email": "demo-participant-y56@demo.convene.invalid",
            "role": "practice_manager",
            "pcn_code": "U10001",
            "practice_code": None,
            "leadership_experience": "practice",
        }
        participants.register(enrolment.runtime.unit(conn, admin), body, participant_id=DEMO_PARTICIPANT)
    with scheduling.runtime.db.transaction() as conn:
        unit = scheduling.runtime.unit(conn, admin)
        for kind, fixed in (("facilitator", DEMO_FACILITATOR), ("coach", DEMO_COACH)):
            facilitators.add_facilitator(
                unit, {"kind": kind, "monthly_capacity": 4, "skills": ["facilitation"]}, facilitator_id=fixed
            )
    yield provider, enrolment, scheduling
    provider.stop()
    for service in services.values():
        service.stop()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_each_demo_person_s_token_from_the_provider_is_accepted_as_that_person(stack):
    provider, enrolment, scheduling = stack
    admin = bearer(signed_in(provider.base_url, "demo-admin-y56"))
    assert enrolment.client.get(f"/v1/participants/{DEMO_PARTICIPANT}", headers=admin).json["name"] == "Jo Example"
    assert {f["id"] for f in scheduling.client.get("/v1/facilitators", headers=admin).json["items"]} == {
        DEMO_FACILITATOR,
        DEMO_COACH,
    }

    participant = bearer(signed_in(provider.base_url, "demo-participant-y56"))
    me = enrolment.client.get(f"/v1/participants/{DEMO_PARTICIPANT}", headers=participant)
    assert me.status_code == 200 and me.json["email"] == "demo-participant-y56@demo.convene.invalid"
    assert enrolment.client.get("/v1/audit", headers=participant).status_code in (403, 404), "a participant"

    for sub, fixed in (("demo-facilitator-y56", DEMO_FACILITATOR), ("demo-coach-y56", DEMO_COACH)):
        own = scheduling.client.get(f"/v1/facilitators/{fixed}", headers=bearer(signed_in(provider.base_url, sub)))
        assert own.status_code == 200 and own.json["id"] == fixed, sub
    other = scheduling.client.get(
        f"/v1/facilitators/{DEMO_COACH}", headers=bearer(signed_in(provider.base_url, "demo-facilitator-y56"))
    )
    assert other.status_code == 404, "another person's record stays invisible"

    national = bearer(signed_in(provider.base_url, "demo-national"))
    pcns = enrolment.client.get("/v1/pcns", headers=national)
    assert pcns.status_code == 200 and pcns.json["items"]


def test_make_token_s_tokens_are_accepted_alike(stack, signing_keys):
    provider, enrolment, _ = stack
    token = mint_token(
        signing_keys[0].read_bytes(),
        role="participant",
        region="Y56",
        subject=DEMO_PARTICIPANT,
        issuer=provider.base_url,
        audience="convene",
    )
    answer = enrolment.client.get(f"/v1/participants/{DEMO_PARTICIPANT}", headers=bearer(token))
    assert answer.status_code == 200 and answer.json["name"] == "Jo Example"


@pytest.fixture
def provider(signing_keys, tmp_path):
    running = identity_provider(signing_keys, tmp_path).start()
    yield running
    running.stop()


def test_the_sign_in_page_lists_each_demo_person_with_their_role_and_loads_nothing_from_another_site(provider):
    query = {"client_id": "convene-console", "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid"}
    page = requests.get(f"{provider.base_url}/oauth2/authorize", params=query, timeout=5).text
    for sub, role in (
        ("demo-admin-y56", "regional administrator"),
        ("demo-national", "national team"),
        ("demo-participant-y56", "participant"),
        ("demo-facilitator-y56", "facilitator"),
        ("demo-coach-y56", "coach"),
    ):
        row = page[page.index(f'value="{sub}"') - 400 : page.index(f'value="{sub}"')]
        assert f"<td>{role}</td>" in row, sub
    assert 'placeholder="sub"' in page and ">Authorize</button>" in page and 'value="deny"' in page
    linked = [*re.findall(r'(?:href|src)="([^"]+)"', page)]
    assert linked == ["/provider.css"], "its own stylesheet only: no CDN"
    sheet = requests.get(f"{provider.base_url}/provider.css", timeout=5)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/css")
    assert "http" not in sheet.text and "@import" not in sheet.text
