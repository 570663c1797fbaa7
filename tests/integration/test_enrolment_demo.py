"""The demo data set loads in one go on both databases, gives a new user a living system, and
loading it again changes nothing."""

from sqlalchemy import select

from services.enrolment import demo
from services.enrolment.store.tables import enrolments, offers
from tests.integration.test_enrolment_support import as_role, enrolment, row_counts  # noqa: F401 (fixtures)


def test_the_demo_loads_once_with_offers_of_every_type_in_every_state(enrolment, as_role):
    first = demo.load(enrolment.runtime)
    loaded = row_counts(enrolment)
    again = demo.load(enrolment.runtime)
    assert (first["loaded"], again["loaded"]) == (True, False)
    assert row_counts(enrolment) == loaded
    assert again["reference"]["pcns"]["created"] == again["reference"]["pcns"]["updated"] == 0
    with enrolment.runtime.db.read() as conn:
        kinds = set(conn.execute(select(offers.c.offer_type, offers.c.status)).all())
        places = {row.status for row in conn.execute(select(enrolments.c.status))}
    assert {kind for kind, _ in kinds} == {"regional_programme", "pcn_team", "action_learning_set", "coaching"}
    assert {status for _, status in kinds} == {"draft", "published", "started", "completed", "cancelled"}
    # Waiting for a set still open; released by a started set; completed with the past masterclass.
    assert places == {"confirmed", "waitlisted", "withdrawn", "completed"}
    assert enrolment.client.get("/v1/participants", headers=as_role()).json["total"] > 20
    assert enrolment.client.get("/v1/offers?region=national", headers=as_role()).json["total"] == 1


def test_the_demo_publishes_no_name_or_email_address(enrolment):
    demo.load(enrolment.runtime)
    outbox = enrolment.runtime.db.tables.outbox
    with enrolment.runtime.db.read() as conn:
        published = " ".join(row.headers + row.value for row in conn.execute(select(outbox)))
    assert demo.EMAIL_DOMAIN not in published and "@" not in published
    assert not any(surname in published for surname in demo.SURNAMES)
