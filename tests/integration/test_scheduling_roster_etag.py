"""The roster's ETag and conditional reads on both databases: If-None-Match naming the current
ETag answers 304 with no body; every change of what the roster shows (a member joining, leaving or
completing, the offer's fields, an erasure) gives a new ETag; and a caller who may not read the
roster is answered 404 or 403 as before, whatever If-None-Match says."""

from datetime import timedelta

from services.scheduling.domain.recurrence import Slot
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts import enrolment
from tests.integration.test_scheduling_support import Scheduling, scheduling  # noqa: F401


def read(scheduling: Scheduling, offer_id: str, held: str | None = None, **who):
    extra = {"If-None-Match": held} if held is not None else {}
    return scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=scheduling.headers(**who, **extra))


def test_an_unchanged_roster_is_answered_304_with_its_etag_and_no_body(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p-1", "p-2")
    first = read(scheduling, offer_id)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith('W/"') and tag.endswith('"')
    for held in (tag, tag.removeprefix("W/"), f'"other", {tag}', "*"):
        again = read(scheduling, offer_id, held)
        assert (again.status_code, again.headers["ETag"], again.get_data()) == (304, tag, b""), held
    stale = read(scheduling, offer_id, 'W/"1"')
    assert stale.status_code == 200 and stale.json == first.json and stale.headers["ETag"] == tag


def test_every_change_the_roster_shows_gives_a_new_etag(scheduling: Scheduling):
    offer_id = scheduling.publish_offer(title="North cohort")
    scheduling.confirm(offer_id, "p-1", "p-2")
    seen = [read(scheduling, offer_id).headers["ETag"]]

    def changed(description: str):
        response = read(scheduling, offer_id, seen[-1])
        assert response.status_code == 200, description
        assert response.headers["ETag"] not in seen, description
        seen.append(response.headers["ETag"])
        return response.json

    scheduling.confirm(offer_id, "p-3")
    assert changed("a member joined")["member_count"] == 3
    scheduling.withdraw(offer_id, "p-2")
    assert [m["participant_id"] for m in changed("a member left")["members"]] == ["p-1", "p-3"]
    scheduling.enrolment(enrolment.ENROLMENT_COMPLETED, offer_id, "p-1", "completed")
    assert changed("a member completed")["members"][0]["status"] == "completed"
    scheduling.offers[offer_id]["title"] = "North cohort, spring"
    scheduling.offer_event(offer_id, enrolment.OFFER_UPDATED, "published")
    assert changed("the offer changed")["title"] == "North cohort, spring"
    assert read(scheduling, offer_id, seen[-1]).status_code == 304


def test_an_erasure_gives_a_new_etag_and_a_roster_without_the_erased_person(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    other = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p-1", "p-2")
    scheduling.confirm(other, "p-1")
    tags = {offer: read(scheduling, offer).headers["ETag"] for offer in (offer_id, other)}
    scheduling.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p-1", "region": "Y56", "erased_at": utcnow().isoformat()}
    )
    for offer in (offer_id, other):
        response = read(scheduling, offer, tags[offer])
        assert response.status_code == 200 and response.headers["ETag"] != tags[offer]
        assert "p-1" not in response.get_data(as_text=True)
    assert [m["participant_id"] for m in read(scheduling, offer_id).json["members"]] == ["p-2"]


def test_a_caller_who_may_not_read_the_roster_gets_no_304_for_its_etag(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p-1")
    tag = read(scheduling, offer_id).headers["ETag"]
    for held in (tag, "*"):
        other_region = read(scheduling, offer_id, held, region="Y58")
        assert (other_region.status_code, other_region.headers.get("ETag")) == (404, None)
        not_leading = read(scheduling, offer_id, held, role="facilitator", subject="f-elsewhere")
        assert (not_leading.status_code, not_leading.headers.get("ETag")) == (404, None)
        participant = read(scheduling, offer_id, held, role="participant", subject="p-1")
        assert (participant.status_code, participant.headers.get("ETag")) == (403, None)
    unknown = scheduling.client.get(
        "/v1/offers/no-such-offer/roster", headers=scheduling.headers(**{"If-None-Match": "*"})
    )
    assert unknown.status_code == 404


def test_a_coachs_etag_changes_with_whom_they_coach_not_only_with_the_roster(scheduling: Scheduling):
    offer_id = scheduling.publish_offer(offer_type="coaching")
    scheduling.confirm(offer_id, "p-1", "p-2")
    coach = scheduling.add_facilitator(kind="coach", skills=("coaching",))
    book(scheduling, offer_id, coach, "p-1", days=3)
    admins = read(scheduling, offer_id).headers["ETag"]
    first = read(scheduling, offer_id, admins, role="coach", subject=coach)
    assert first.status_code == 200 and [m["participant_id"] for m in first.json["members"]] == ["p-1"]
    tag = first.headers["ETag"]
    assert tag != admins
    assert read(scheduling, offer_id, tag, role="coach", subject=coach).status_code == 304
    book(scheduling, offer_id, coach, "p-2", days=4)  # the roster's version stays; whom the coach sees does not
    assert read(scheduling, offer_id, admins).status_code == 304
    later = read(scheduling, offer_id, tag, role="coach", subject=coach)
    assert later.status_code == 200 and later.headers["ETag"] != tag and later.json["member_count"] == 2


def book(scheduling: Scheduling, offer_id: str, coach: str, coachee: str, days: int) -> None:
    """A coaching session, written straight to the store (booking rules are not what is tested)."""
    starts = utcnow() + timedelta(days=days)
    row = new_session(
        scheduling.offers[offer_id],
        Slot(starts, starts + timedelta(hours=1)),
        {"facilitator_id": coach},
        kind="coaching",
        coachee_id=coachee,
    )
    with scheduling.db.transaction() as conn:
        session_store.add_sessions(conn, [row])
