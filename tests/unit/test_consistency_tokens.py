"""Consistency tokens (shared.consistency), without I/O: what a write's token names, which
Convene-Consistency values a request may send, and how each service's OpenAPI document says so."""

import base64
import json

import pytest

from services.registry import declaration
from shared.audit_api import audit_api
from shared.consistency import HEADER, MAX_EVENTS, Awaited, MalformedToken, parse, token_for
from shared.envelope import Envelope
from shared.openapi import build_spec

PUBLISHED = "org.convene.enrolment.offer.published.v1"
SCHEDULED = "org.convene.scheduling.session.scheduled.v1"


def event(event_type: str, key: str, event_id: str) -> Envelope:
    return Envelope(type=event_type, source="/convene/test", data={}, id=event_id, partitionkey=key)


def raw_token(document) -> str:
    return "1." + base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def test_a_write_that_recorded_nothing_has_no_token():
    assert token_for([]) is None


def test_a_token_names_the_events_a_write_recorded_and_reads_back_as_them():
    token = token_for([event(PUBLISHED, "offer-1", "e-1")])

    assert token.startswith("1.")
    assert parse([token]) == [Awaited(PUBLISHED, "e-1")]


def test_a_token_names_only_the_last_event_of_each_type_and_key_since_a_partition_is_applied_in_order():
    series = [event(SCHEDULED, "offer-1", f"s-{n}") for n in range(52)]
    other_offer = event(SCHEDULED, "offer-2", "t-1")
    published = event(PUBLISHED, "offer-1", "p-1")

    token = token_for([*series, published, other_offer])

    assert sorted(parse([token]), key=lambda a: a.id) == [
        Awaited(PUBLISHED, "p-1"),
        Awaited(SCHEDULED, "s-51"),
        Awaited(SCHEDULED, "t-1"),
    ]


def test_a_token_is_plain_ascii_without_commas_so_several_fit_in_one_header():
    token = token_for([event(PUBLISHED, "offer-1", "e-1"), event(SCHEDULED, "offer-1", "e-2")])

    assert token.isascii() and "," not in token and " " not in token and "=" not in token


def test_tokens_sent_in_one_header_or_in_several_name_every_event_once():
    first = token_for([event(PUBLISHED, "offer-1", "e-1")])
    second = token_for([event(SCHEDULED, "offer-1", "e-2")])

    together = parse([f"{first}, {second}"])

    assert together == parse([first, second]) == [Awaited(PUBLISHED, "e-1"), Awaited(SCHEDULED, "e-2")]
    assert parse([first, first]) == [Awaited(PUBLISHED, "e-1")]


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", "an empty token"),
        ("abc", "not a version 1 token"),
        ("2." + raw_token([[PUBLISHED, "e-1"]])[2:], "not a version 1 token"),
        ("1.!!!", "not readable"),
        ("1." + base64.urlsafe_b64encode(b"\xff\xfe").decode(), "not readable"),
        (raw_token([]), "names no events"),
        (raw_token({"type": PUBLISHED}), "names no events"),
        (raw_token([[PUBLISHED]]), "an entry is not [type, id]"),
        (raw_token([[PUBLISHED, 7]]), "an entry is not [type, id]"),
        (raw_token([["Not A Type", "e-1"]]), "an entry's type or id is not well formed"),
        (raw_token([[PUBLISHED, "e 1"]]), "an entry's type or id is not well formed"),
    ],
)
def test_a_value_no_service_made_is_refused_saying_what_is_wrong(value, reason):
    with pytest.raises(MalformedToken) as refused:
        parse([value])

    assert str(refused.value) == reason


def test_a_request_may_name_at_most_a_bounded_number_of_events():
    many = raw_token([[PUBLISHED, f"e-{n}"] for n in range(MAX_EVENTS + 1)])

    with pytest.raises(MalformedToken, match=f"more than {MAX_EVENTS} events"):
        parse([many])
    assert len(parse([raw_token([[PUBLISHED, f"e-{n}"] for n in range(MAX_EVENTS)])])) == MAX_EVENTS


def test_an_event_type_this_version_does_not_know_still_reads_so_a_newer_writer_never_breaks_a_reader():
    newer = "org.convene.enrolment.offer.renamed.v2"

    assert parse([raw_token([[newer, "e-1"]])]) == [Awaited(newer, "e-1")]


@pytest.mark.parametrize("name", ["enrolment", "scheduling", "feedback"])
def test_every_operation_documents_the_header_it_takes_and_every_write_the_header_it_answers(name):
    service = declaration(name)
    endpoints = [endpoint for api in [*service.apis, audit_api] for endpoint in api.endpoints]
    document = build_spec(service.title, "1.0.0", service.description, endpoints)

    operations = [(method, operation) for path in document["paths"].values() for method, operation in path.items()]
    assert operations
    for method, operation in operations:
        taken = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == HEADER]
        assert len(taken) == 1 and taken[0]["required"] is False, operation["operationId"]
        assert operation["responses"]["503"]["content"]["application/problem+json"], operation["operationId"]
        answered = {
            status: response.get("headers", {})
            for status, response in operation["responses"].items()
            if status.startswith("2")
        }
        if method in ("post", "put", "patch", "delete"):
            assert all(HEADER in headers for headers in answered.values()), operation["operationId"]
        else:
            assert not any(HEADER in headers for headers in answered.values()), operation["operationId"]
