"""The subscriptions service's rules without I/O: filters, sink addresses, backoff, order per key, secrets."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.subscriptions.domain.filters import Filter, expressions_of, regions_of
from services.subscriptions.domain.ordering import Pending, sendable
from services.subscriptions.domain.retries import RetryPolicy
from services.subscriptions.domain.secrets import new_secret, rotated, signing_secrets
from services.subscriptions.domain.sinks import SinkRules, check_addresses, check_sink_url, refused_address
from shared.errors import RuleViolation

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STRICT = SinkRules(allow_http=False, allow_private_addresses=False)


# --- filters ---------------------------------------------------------------------------------


def test_a_subscription_bound_to_regions_receives_only_their_events():
    london = Filter(frozenset(), frozenset({"Y56"}))
    assert london.accepts("org.convene.enrolment.offer.published.v1", "Y56")
    assert not london.accepts("org.convene.enrolment.offer.published.v1", "Y58")


def test_an_event_without_a_region_reaches_only_subscriptions_bound_to_no_region():
    assert not Filter(frozenset(), frozenset({"Y56"})).accepts("org.convene.feedback.summary.updated.v1", None)
    assert Filter(frozenset(), frozenset()).accepts("org.convene.feedback.summary.updated.v1", None)


def test_types_narrow_what_a_subscription_receives_and_none_means_all():
    only_sessions = Filter(frozenset({"org.convene.scheduling.session.scheduled.v1"}), frozenset())
    assert only_sessions.accepts("org.convene.scheduling.session.scheduled.v1", "Y56")
    assert not only_sessions.accepts("org.convene.scheduling.session.cancelled.v1", "Y56")


def test_region_filters_read_the_exact_and_any_dialects_and_write_them_back():
    assert regions_of([]) == []
    assert regions_of([{"exact": {"region": "Y56"}}]) == ["Y56"]
    several = [{"any": [{"exact": {"region": "Y58"}}, {"exact": {"region": "Y56"}}]}]
    assert regions_of(several) == ["Y56", "Y58"]
    assert regions_of(expressions_of(["Y56", "Y58"])) == ["Y56", "Y58"]
    assert regions_of(expressions_of(["Y56"])) == ["Y56"]


@pytest.mark.parametrize(
    "filters",
    [
        [{"prefix": {"region": "Y5"}}],
        [{"exact": {"type": "x"}}],
        [{"exact": {"region": "Y56"}}, {"exact": {"region": "Y58"}}],
        [{"any": []}],
        [{"exact": {"region": 56}}],
        ["Y56"],
    ],
)
def test_filters_convene_cannot_apply_are_refused(filters):
    with pytest.raises(ValueError):
        regions_of(filters)


# --- sinks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback (embedded IPv4)"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("198.18.0.1", "private"),  # benchmarking
        ("240.0.0.1", "private"),  # reserved for future use
        ("192.0.0.8", "reserved"),  # IETF protocol assignments, which Python calls global
        ("192.88.99.1", "reserved"),  # the deprecated 6to4 relay
        ("fc00::1", "private"),  # unique-local
        ("fd12:3456::1", "private"),
        ("2001:db8::1", "private"),  # documentation
        ("::ffff:10.0.0.1", "private (embedded IPv4)"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local (embedded IPv4)"),
        ("::7f00:1", "loopback (embedded IPv4)"),  # IPv4-compatible ::127.0.0.1
        ("2002:7f00:1::", "loopback (embedded IPv4)"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", "private (embedded IPv4)"),  # 6to4 of 10.0.0.1
        ("2002:a9fe:a9fe::1", "link-local (embedded IPv4)"),  # 6to4 of the metadata address
        ("64:ff9b::a00:1", "private (embedded IPv4)"),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", "reserved"),  # NAT64 at all: a translator Convene does not judge
        ("64:ff9b:1::a00:1", "private (embedded IPv4)"),  # local-use NAT64
        ("::ffff:8.8.8.8", "reserved"),  # mapped, even of a public address: not an address one connects to
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ],
)
def test_addresses_inside_networks_are_refused_with_the_reason(address, reason):
    assert refused_address(address) == reason


def test_public_addresses_are_allowed():
    assert refused_address("8.8.8.8") is None
    assert refused_address("2001:4860:4860::8888") is None
    assert refused_address("2606:4700::1111") is None
    assert refused_address("2002:808:808::1") is None  # 6to4 of a public address
    check_addresses(["8.8.8.8"], STRICT)


def test_one_private_address_among_public_ones_refuses_the_sink():
    with pytest.raises(RuleViolation) as refused:
        check_addresses(["8.8.8.8", "10.0.0.1"], STRICT)
    assert refused.value.field == "sink" and refused.value.rule == "sink_address_refused"


def test_private_addresses_pass_only_when_the_setting_allows_them():
    check_addresses(["127.0.0.1"], SinkRules(allow_http=False, allow_private_addresses=True))


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(RuleViolation):
        check_addresses([], SinkRules(allow_http=True, allow_private_addresses=True))


@pytest.mark.parametrize(
    "url, rule",
    [
        ("http://example.org/hook", "sink_not_https"),
        ("ftp://example.org/hook", "sink_not_https"),
        ("https:///hook", "sink_invalid"),
        ("https://user:pw@example.org/hook", "sink_invalid"),
        ("https://example.org/hook#part", "sink_invalid"),
        ("https://example.org:99999/hook", "sink_invalid"),
    ],
)
def test_sink_urls_must_be_plain_https_addresses(url, rule):
    with pytest.raises(RuleViolation) as refused:
        check_sink_url(url, STRICT)
    assert refused.value.rule == rule


def test_plain_http_is_allowed_only_by_its_setting():
    assert check_sink_url("http://127.0.0.1:9000/hook", SinkRules(True, True)) == "127.0.0.1"
    assert check_sink_url("https://example.org/hook", STRICT) == "example.org"


# --- retries ---------------------------------------------------------------------------------


def test_backoff_doubles_within_jitter_and_stops_at_the_cap():
    policy = RetryPolicy(base_seconds=5, cap_seconds=3600, window_seconds=86400)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (12, 3600), (30, 3600)]:
        for _ in range(50):
            assert ceiling / 2 <= policy.delay(attempt, rng) <= ceiling


def test_retries_end_once_the_first_attempt_is_older_than_the_window():
    policy = RetryPolicy(base_seconds=5, cap_seconds=3600, window_seconds=86400)
    rng = random.Random(1)
    first = NOW - timedelta(hours=23)
    assert policy.next_attempt(9, first, NOW, rng) > NOW
    assert policy.next_attempt(9, NOW - timedelta(days=1), NOW, rng) is None


def test_the_default_schedule_spreads_retries_over_about_a_day():
    policy = RetryPolicy(base_seconds=5, cap_seconds=3600, window_seconds=86400)
    rng, elapsed, attempts = random.Random(3), 0.0, 0
    while elapsed < 86400:
        attempts += 1
        elapsed += policy.delay(attempts, rng)
    assert 25 <= attempts <= 60


# --- order per key ---------------------------------------------------------------------------


def _pending(delivery_id, subscription="s1", key="k1", due=NOW, in_flight=False):
    return Pending(delivery_id, subscription, key, due, in_flight)


def test_a_later_event_of_a_key_waits_for_the_earlier_one():
    chosen = sendable([_pending(2), _pending(1), _pending(3, key="k2")], NOW, per_subscription=4)
    assert [p.delivery_id for p in chosen] == [1, 3]


def test_a_key_whose_earlier_event_is_in_flight_or_waiting_to_retry_sends_nothing():
    in_flight = [_pending(1, in_flight=True), _pending(2)]
    assert sendable(in_flight, NOW, per_subscription=4) == []
    backing_off = [_pending(1, due=NOW + timedelta(seconds=30)), _pending(2)]
    assert sendable(backing_off, NOW, per_subscription=4) == []


def test_a_subscription_has_at_most_its_slots_in_flight_while_others_go_on():
    slow = [_pending(i, subscription="slow", key=f"k{i}", in_flight=i <= 2) for i in range(1, 6)]
    other = [_pending(10, subscription="other")]
    chosen = sendable(slow + other, NOW, per_subscription=3)
    assert [p.delivery_id for p in chosen] == [3, 10]


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_are_standard_webhooks_secrets_and_never_repeat():
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second


def test_a_rotation_signs_with_both_secrets_until_the_overlap_ends():
    changed = rotated("whsec_old", NOW, overlap_seconds=3600)
    both = signing_secrets(changed["secret"], changed["previous_secret"], changed["previous_secret_until"], NOW)
    assert both == [changed["secret"], "whsec_old"]
    later = NOW + timedelta(hours=1)
    assert signing_secrets(changed["secret"], "whsec_old", changed["previous_secret_until"], later) == [
        changed["secret"]
    ]


# --- the CloudEvent sent ---------------------------------------------------------------------


def test_the_body_is_a_structured_cloudevent_with_dates_as_the_contract_writes_them():
    import json
    from datetime import date

    from services.subscriptions.domain.cloudevent import structured

    body = structured(
        event_id="e1",
        source="/convene/enrolment",
        event_type="org.convene.enrolment.offer.published.v1",
        time=NOW,
        data={"offer_id": "o1", "starts_on": date(2026, 6, 1), "at": NOW},
        subject="o1",
        partitionkey="o1",
        region=None,
    )
    document = json.loads(body)
    assert document["specversion"] == "1.0" and document["datacontenttype"] == "application/json"
    assert document["time"] == "2026-11-30T12:00:00Z" and "region" not in document
    assert document["data"] == {"offer_id": "o1", "starts_on": "2026-06-01", "at": "2026-11-30T12:00:00Z"}
