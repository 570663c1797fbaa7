"""The demo people a newcomer signs in as after `make up`, and development tokens: one person of
each Convene role, the participant, facilitator and coach known by the fixed Convene ids the demo
data gives them, and `make token`'s tokens naming their key as the provider's /jwks does. No I/O
but a temporary key pair."""

import jwt
import pytest
from authlib import jose

from services.cli import parser
from services.console.claims import DEFAULT_MAPPING, identity_of
from services.console.identity_provider import DEMO_PEOPLE, demo_person, signing_key
from services.demo import DEMO_COACH, DEMO_FACILITATOR, DEMO_PARTICIPANT, DEMO_REGION, demo_id
from services.enrolment.demo import demo_participant, generate
from shared.auth import create_dev_keys, key_id, mint_token


def test_there_is_a_demo_person_of_every_convene_role_and_each_signs_in():
    roles = {user.sub: identity_of({"sub": user.sub, **user.claims}, DEFAULT_MAPPING).role for user in DEMO_PEOPLE}
    assert roles == {
        "demo-admin-y56": "regional_admin",
        "demo-national": "national",
        "demo-participant-y56": "participant",
        "demo-facilitator-y56": "facilitator",
        "demo-coach-y56": "coach",
    }


def test_the_participant_facilitator_and_coach_carry_the_ids_the_demo_data_gives_them():
    assert demo_person("demo-participant-y56") == {"sub": DEMO_PARTICIPANT, "role": "participant", "region": "Y56"}
    assert demo_person("demo-facilitator-y56") == {"sub": DEMO_FACILITATOR, "role": "facilitator", "region": "Y56"}
    assert demo_person("demo-coach-y56") == {"sub": DEMO_COACH, "role": "coach", "region": "Y56"}
    assert demo_person("demo-admin-y56") == {"sub": "demo-admin-y56", "role": "regional_admin", "region": "Y56"}
    assert demo_person("demo-national") == {"sub": "demo-national", "role": "national"}
    assert len({DEMO_PARTICIPANT, DEMO_FACILITATOR, DEMO_COACH}) == 3
    assert demo_id("participant-y56") == DEMO_PARTICIPANT, "the same id on every machine and every load"
    with pytest.raises(KeyError, match="demo-participant-y56"):
        demo_person("nobody")


def test_the_demo_participant_is_a_synthetic_londoner_outside_the_generated_people():
    data = generate()
    person = demo_participant(data)
    assert person.pcn_code in data.pcns[DEMO_REGION] and person.pcn_code != data.pcns[DEMO_REGION][0]
    assert person.email.endswith("@demo.convene.invalid") and person.email not in {p.email for p in data.people}
    assert person.role != "clinical_director", "the directors' programme is not theirs"


@pytest.fixture
def private_pem(tmp_path):
    create_dev_keys(tmp_path / "private.pem", tmp_path / "public.pem")
    return (tmp_path / "private.pem").read_bytes()


def test_a_development_token_names_its_key_by_the_jwk_thumbprint_the_provider_publishes(private_pem, tmp_path):
    token = mint_token(private_pem, role="coach", region="Y56", subject="c-1", issuer="http://i", audience="convene")
    assert jwt.get_unverified_header(token)["kid"] == key_id(private_pem)
    assert key_id(private_pem) == jose.RSAKey.import_key(private_pem).thumbprint(), "RFC 7638, as Authlib's"
    assert signing_key(tmp_path / "private.pem", tmp_path / "public.pem").as_dict()["kid"] == key_id(private_pem)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["region"], claims["iss"]) == ("c-1", "coach", "Y56", "http://i")


def test_the_token_command_takes_a_demo_person_instead_of_a_role():
    args = parser().parse_args(["token", "--person", "demo-coach-y56"])
    assert (args.person, args.role) == ("demo-coach-y56", None)
    assert parser().parse_args(["token", "--role", "national"]).role == "national"


def test_make_token_for_a_demo_person_carries_what_the_provider_s_token_would(
    private_pem, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(tmp_path / "private.pem"))
    monkeypatch.setenv("JWT_ISSUER", "http://127.0.0.1:9400")
    args = parser().parse_args(["token", "--person", "demo-participant-y56"])
    args.run(args)
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {k: claims.get(k) for k in ("sub", "role", "region", "iss")} == {
        "sub": DEMO_PARTICIPANT,
        "role": "participant",
        "region": "Y56",
        "iss": "http://127.0.0.1:9400",
    }
    assert jwt.get_unverified_header(token)["kid"] == key_id(private_pem)
    with pytest.raises(SystemExit, match="no demo person"):
        args = parser().parse_args(["token", "--person", "nobody"])
        args.run(args)
