"""Scheduling's row of the authorisation matrix: a world in region Y56 — a regional programme
with its member, a session (and a past one) led by the own facilitator, a coaching offer with
the own coach's bookings of the own participant — and how to call every operation with its
objects (who gets what is docs/authorization.md's to say).

Offers and memberships reach scheduling as enrolment's events, handed to its handlers.
A coach's own objects are the coaching offer and its bookings; everyone else's targets are
the regional programme and its sessions.
"""

from __future__ import annotations

from datetime import timedelta

from services.scheduling.domain.recurrence import Slot
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts.feedback import NEEDS_REPORTED
from tests.harness import RunningService, service_environment
from tests.integration.authz_matrix import BLIND, Operation, Request, World
from tests.integration.test_scheduling_support import Scheduling, local

PEOPLE = ("participant", "facilitator", "coach")


class SchedulingWorld(World):
    def __init__(self, database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, make_token):
        environ = service_environment(database_url, kafka_bootstrap, topic_prefix, public_key) | {
            "RATE_LIMIT_PER_MINUTE": "0"
        }
        self.service = RunningService("scheduling", environ)
        self.helper = Scheduling(self.service, make_token)
        self.client = self.service.client
        self.admin = self.helper.headers()
        self._day = 10
        self.people = {
            "participant": {"own": "p-own", "stranger": "p-stranger", "other": "p-other"},
            "facilitator": {
                scope: self.helper.add_facilitator(region=region)
                for scope, region in (("own", "Y56"), ("stranger", "Y56"), ("other", "Y58"))
            },
            "coach": {
                scope: self.helper.add_facilitator("coach", 200, region)
                for scope, region in (("own", "Y56"), ("stranger", "Y56"), ("other", "Y58"))
            },
        }
        self.member, self.facilitator, self.coach = (self.people[role]["own"] for role in PEOPLE)
        joined = utcnow() - timedelta(days=30)
        self.offer = self.helper.publish_offer(title="Cohort A")
        self.helper.confirm(self.offer, self.member, at=joined)
        for number in range(5):  # co-design waits for five answers
            needs = {
                "response_id": f"r-{number}",
                "offer_id": self.offer,
                "region": "Y56",
                "pcn_code": None,
                "ratings": {"strategy": 5, "teamwork": 3},
            }
            self.helper.deliver(NEEDS_REPORTED, needs)
        self.coaching = self.helper.publish_offer(
            offer_type="coaching", title="Coaching", capacity=1, session_allowance=50
        )
        self.helper.confirm(self.coaching, self.member, at=joined)
        self.session = self.scheduled(facilitator_id=self.facilitator)
        self.past = self.helper.past_session(self.offer, utcnow() - timedelta(hours=2), facilitator_id=self.facilitator)
        self.booking = self._book()
        self.past_booking = self._past_booking()
        marks = {"records": [{"participant_id": self.member, "attendance": "present"}]}
        for session_id in (self.past, self.past_booking):
            assert (
                self.client.put(f"/v1/sessions/{session_id}/attendance", json=marks, headers=self.admin).status_code
                == 200
            )
        as_member = self.helper.headers("participant", subject=self.member)
        assert self.client.put(self.goals_path(), json=self.goals_body(), headers=as_member).status_code == 200

    def subject(self, role: str, scope: str) -> str:
        return self.people[role][scope] if role in PEOPLE else f"{role}-{scope}"

    # --- what a cell acts on ------------------------------------------------------------------

    def offer_for(self, caller) -> str:
        return self.coaching if caller.role == "coach" else self.offer

    def session_for(self, caller) -> str:
        return self.booking if caller.role == "coach" else self.session

    def past_for(self, caller) -> str:
        return self.past_booking if caller.role == "coach" else self.past

    def leader_for(self, caller) -> str:
        return self.coach if caller.role == "coach" else self.facilitator

    # --- fresh Y56 objects ----------------------------------------------------------------------

    def slot(self) -> str:
        """A free Europe/London time: each call a day later, so no one is ever double-booked."""
        self._day += 1
        return local(self._day)

    def scheduled(self, **body) -> str:
        response = self.helper.schedule(self.offer, {"starts_at": self.slot(), "duration_minutes": 60, **body})
        assert response.status_code == 201, response.json
        return response.json["id"]

    def booking_body(self) -> dict:
        return {"participant_id": self.member, "coach_id": self.coach, "starts_at": self.slot(), "duration_minutes": 60}

    def goals_path(self) -> str:
        return f"/v1/coaching/offers/{self.coaching}/goals/{self.member}"

    @staticmethod
    def goals_body() -> dict:
        return {"goal_types": ["leadership_goal"], "words": "Lead our PCN's merger well"}

    def feed_secret(self) -> str:
        """A fresh subscription address of the member's calendar (each replaces the one before)."""
        as_member = self.helper.headers("participant", subject=self.member)
        response = self.client.post(f"/v1/participants/{self.member}/calendar-feed", headers=as_member)
        assert response.status_code == 201, response.json
        return response.json["url"].rsplit("/", 1)[1].removesuffix(".ics")

    def _book(self) -> str:
        response = self.client.post(
            f"/v1/offers/{self.coaching}/coaching-bookings", json=self.booking_body(), headers=self.admin
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    def _past_booking(self) -> str:
        starts = utcnow() - timedelta(hours=3)
        row = new_session(
            self.helper.offers[self.coaching],
            Slot(starts, starts + timedelta(minutes=60)),
            {"facilitator_id": self.coach},
            kind="coaching",
            coachee_id=self.member,
        )
        with self.service.runtime.db.transaction() as conn:
            session_store.add_sessions(conn, [row])
        return row["id"]


def _ids(response) -> set:
    return {item["id"] for item in response.json["items"]}


def _in_feed(session_of):
    return lambda w, c, r: f"{session_of(w, c)}@convene".encode() in r.data


PAGE = {"limit": 200}

TABLE = {
    "get_roster": Operation(lambda w, c: Request({"offer_id": w.offer_for(c)})),
    "schedule_sessions": Operation(
        lambda w, c: Request({"offer_id": w.offer}, body={"starts_at": w.slot(), "duration_minutes": 60})
    ),
    "list_sessions": Operation(
        lambda w, c: Request({"offer_id": w.offer_for(c)}, query=PAGE),
        shows=lambda w, c, r: w.session_for(c) in _ids(r),
    ),
    # Sessions of every offer: the leader's own (the past one included, its attendance recorded), or the region's.
    "list_led_sessions": Operation(
        lambda w, c: Request(query=PAGE),
        shows=lambda w, c, r: w.session_for(c) in _ids(r),
    ),
    "co_design_topics": Operation(lambda w, c: Request({"offer_id": w.offer}, body={})),
    "get_session": Operation(lambda w, c: Request({"session_id": w.session_for(c)})),
    "reschedule_session": Operation(
        lambda w, c: Request({"session_id": w.scheduled()}, body={"starts_at": w.slot()}, headers={"If-Match": 'W/"0"'})
    ),
    "cancel_session": Operation(lambda w, c: Request({"session_id": w.scheduled()}, body={})),
    "record_attendance": Operation(
        lambda w, c: Request(
            {"session_id": w.past_for(c)}, body={"records": [{"participant_id": w.member, "attendance": "present"}]}
        )
    ),
    "get_attendance": Operation(lambda w, c: Request({"session_id": w.past_for(c)})),
    "get_continuity": Operation(lambda w, c: Request({"offer_id": w.offer_for(c)})),
    "add_facilitator": Operation(lambda w, c: Request(body={"kind": "facilitator", "monthly_capacity": 4})),
    "list_facilitators": Operation(lambda w, c: Request(query=PAGE), shows=lambda w, c, r: w.facilitator in _ids(r)),
    "get_facilitator": Operation(lambda w, c: Request({"facilitator_id": w.leader_for(c)})),
    # A participant books only for themselves: naming the member is 403 for anyone else.
    "book_coaching": Operation(
        lambda w, c: Request({"offer_id": w.coaching}, body=w.booking_body()), outside={"participant": 403}
    ),
    "list_coaching": Operation(
        lambda w, c: Request({"offer_id": w.coaching}, query=PAGE), shows=lambda w, c, r: w.booking in _ids(r)
    ),
    # An administrator's view of a person's calendar is limited to their region's sessions.
    # A coachee's goals: the member's, in the coaching offer (a coach of theirs reads them).
    "set_coaching_goals": Operation(
        lambda w, c: Request({"offer_id": w.coaching, "participant_id": w.member}, body=w.goals_body())
    ),
    "get_coaching_goals": Operation(lambda w, c: Request({"offer_id": w.coaching, "participant_id": w.member})),
    # Progress is noted at a coaching session that has begun: the member's with the own coach.
    "note_coaching_progress": Operation(
        lambda w, c: Request({"session_id": w.past_booking}, body={"note": "Practised open questions"})
    ),
    "participant_calendar": Operation(
        lambda w, c: Request({"participant_id": w.member}),
        shows=_in_feed(lambda w, c: w.session),
        outside={"regional_admin": BLIND},
    ),
    # A participant's subscription address: made and revoked by the participant alone.
    "create_calendar_feed": Operation(lambda w, c: Request({"participant_id": w.member})),
    "revoke_calendar_feed": Operation(lambda w, c: Request({"participant_id": w.member})),
    # No bearer token is read: the member's secret address answers whoever calls with it.
    "subscribed_calendar": Operation(
        lambda w, c: Request({"secret": w.feed_secret()}), unknown={"secret": "no-such-address"}
    ),
    "offer_calendar": Operation(
        lambda w, c: Request({"offer_id": w.offer_for(c)}), shows=_in_feed(lambda w, c: w.session_for(c))
    ),
    "list_audit": Operation(
        lambda w, c: Request(query=PAGE), shows=lambda w, c, r: "Y56" in {i["region"] for i in r.json["items"]}
    ),
}
