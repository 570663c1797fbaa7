"""Feedback's row of the authorisation matrix: a world in region Y56 — an offer with its
member, a held session the member attended and commented on, the member's needs survey and
outcome measures — and how to call every operation with its objects (who gets what is
docs/authorization.md's to say).

Offers, sessions, attendance and memberships reach feedback as the other services' events,
handed to its handlers; the member's answers go through the API.
"""

from __future__ import annotations

from tests.integration.authz_matrix import Operation, Request, World
from tests.integration.test_feedback_handlers import FeedbackWorld as Projections

ANSWER = {"overall": 4, "usefulness": 4, "will_apply": 4, "recommend": "good"}
RATINGS = {
    "leadership": 5,
    "collaboration": 4,
    "dealing_with_conflict": 2,
    "innovation": 3,
    "teamwork": 4,
    "strategy": 1,
    "engagement": 2,
}
SCORES = {"confidence": 3, "isolation": 4, "trust_in_group": 4, "sense_of_direction": 2}


class FeedbackWorld(World):
    def __init__(self, database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, make_token):
        self.projections = Projections(database_url, kafka_bootstrap, public_key, RATE_LIMIT_PER_MINUTE="0")
        self.service, self.client = self.projections.service, self.projections.client
        self.people = {"own": "p-own", "stranger": "p-stranger", "other": "p-other"}
        self.member = self.people["own"]
        self._serial = 0
        self.offer = self.member_offer()
        # Five answer the session and the needs survey: comments and other needs wait for five.
        others = ("p-a", "p-b", "p-c", "p-d")
        self.session = self.held_session(also_present=others)
        for person in others:
            someone = {"Authorization": "Bearer " + make_token("participant", "Y56", person)}
            for path, body in (
                (f"/v1/sessions/{self.session}/feedback", ANSWER),
                ("/v1/needs-surveys/responses", {"ratings": RATINGS}),
            ):
                assert self.client.post(path, json=body, headers=someone).status_code == 201
        member = {"Authorization": "Bearer " + make_token("participant", "Y56", self.member)}
        answers = [
            (f"/v1/sessions/{self.session}/feedback", ANSWER | {"comment": "A useful session"}),
            (
                "/v1/needs-surveys/responses",
                {"ratings": RATINGS, "other_needs": "Time to think", "offer_id": self.offer},
            ),
            ("/v1/outcome-measures", {"offer_id": self.offer, "phase": "before", "scores": SCORES}),
            ("/v1/outcome-measures", {"offer_id": self.offer, "phase": "after", "scores": SCORES}),
        ]
        for path, body in answers:
            response = self.client.post(path, json=body, headers=member)
            assert response.status_code == 201, response.json

    def member_offer(self) -> str:
        """A fresh Y56 offer the own participant is a member of."""
        offer_id = f"o-{self.serial()}"
        self.projections.offer(offer_id, status="completed")  # an "after" waits until an offer has run
        self.projections.member(offer_id, self.member)
        return offer_id

    def held_session(self, also_present=()) -> str:
        """A fresh session of the seeded offer, held yesterday, the own participant present."""
        session_id = f"s-{self.serial()}"
        self.projections.session(session_id, self.offer)
        for person in (self.member, *also_present):
            self.projections.attend(session_id, self.offer, person)
        return session_id


PAGE = {"limit": 200}


def _regions(rows) -> set:
    return {row["region"] for row in rows}


TABLE = {
    # Someone of Y56 who was not there is told so (422 not_an_attendee); another region's
    # session does not exist for them.
    "give_feedback": Operation(
        lambda w, c: Request({"session_id": w.held_session()}, body=ANSWER), outside={"participant": {"stranger": 422}}
    ),
    "answer_needs": Operation(
        lambda w, c: Request(body={"ratings": RATINGS, "offer_id": w.member_offer()})
    ),  # once per offer: a fresh one
    "give_outcome": Operation(
        lambda w, c: Request(body={"offer_id": w.member_offer(), "phase": "before", "scores": SCORES})
    ),
    "known_session": Operation(lambda w, c: Request({"session_id": w.session})),
    "aggregate": Operation(
        lambda w, c: [
            Request(query={"scope": "session", "id": w.session}),
            Request(query={"scope": "offer", "id": w.offer}),
            Request(query={"scope": "region", "region": "Y56"}),
            Request(query={"scope": "offer_type", "offer_type": "action_learning_set", "region": "Y56"}),
        ],
    ),
    "national_summary": Operation(lambda w, c: Request()),
    "learned": Operation(lambda w, c: Request(query={"region": "Y56"})),
    "differences": Operation(lambda w, c: Request(query={"region": "Y56"})),
    "report": Operation(lambda w, c: Request(query={"region": "Y56", "quarter": "2026-Q3"})),
    "conditions": Operation(lambda w, c: Request(query={"region": "Y56"})),
    "emerging_needs": Operation(lambda w, c: Request(query={"region": "Y56"})),
    "needs_ranking": Operation(
        lambda w, c: Request(), shows=lambda w, c, r: "Y56" in _regions(r.json["regions"] + r.json["pcns"])
    ),
    "outcome_changes": Operation(lambda w, c: Request(), shows=lambda w, c, r: "Y56" in _regions(r.json["cells"])),
    "outcome_changes_by_goal_type": Operation(
        lambda w, c: Request(), shows=lambda w, c, r: "Y56" in _regions(r.json["cells"])
    ),
    "session_comments": Operation(
        lambda w, c: Request({"session_id": w.session}, query=PAGE), shows=lambda w, c, r: bool(r.json["items"])
    ),
    "other_needs": Operation(
        lambda w, c: Request(query=PAGE), shows=lambda w, c, r: "Time to think" in {i["text"] for i in r.json["items"]}
    ),
    "list_audit": Operation(lambda w, c: Request(query=PAGE), shows=lambda w, c, r: "Y56" in _regions(r.json["items"])),
}
