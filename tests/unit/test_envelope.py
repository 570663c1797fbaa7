"""The CloudEvents envelope in Kafka binary mode, with no I/O."""

import pytest

from shared.envelope import Envelope, MalformedEvent


def test_an_envelope_survives_the_trip_through_kafka_headers_and_value():
    sent = Envelope(
        type="org.convene.test.thing.happened.v1",
        source="/convene/test",
        data={"a": 1},
        subject="s-1",
        partitionkey="k-1",
        region="Y56",
        correlationid="c-1",
    )
    received = Envelope.from_kafka(sent.headers(), sent.value())
    assert received == sent
    assert received.dedup_key == ("/convene/test", sent.id)


def test_headers_follow_the_cloudevents_kafka_binding():
    names = dict(Envelope(type="t", source="/s", data={}, region="Y58").headers())
    assert names["ce_specversion"] == b"1.0"
    assert names["content-type"] == b"application/json"
    assert names["ce_region"] == b"Y58"
    assert names["ce_time"].endswith(b"Z")
    assert "ce_subject" not in names  # optional attributes are left out when empty


@pytest.mark.parametrize(
    "headers, value",
    [
        ([], b"{}"),
        (
            [
                ("ce_specversion", b"0.3"),
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"t"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
            ],
            b"{}",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"t"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
            ],
            b"{oops",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"t"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
            ],
            b"[1, 2]",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"t"),
                ("ce_time", b"yesterday"),
            ],
            b"{}",
        ),
    ],
    ids=["no headers", "old spec version", "bad json", "not an object", "bad time"],
)
def test_a_message_that_is_not_a_convene_cloudevent_is_malformed(headers, value):
    with pytest.raises(MalformedEvent) as raised:
        Envelope.from_kafka(headers, value)
    assert "oops" not in str(raised.value)  # the message never echoes the payload
