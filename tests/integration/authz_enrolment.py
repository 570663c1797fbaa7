"""Enrolment's part of the authorisation matrix: a world seeded through its API in region Y56
(and a participant in Y58), and how to call every operation with its objects (who gets
what is docs/authorization.md's to say).

People: the participant the seeded enrolment belongs to (own), another participant of Y56
(stranger), one of Y58 (other). Facilitators and coaches are nobody in particular here:
enrolment scopes them by their token's region only.
"""

from __future__ import annotations

from tests.integration.authz_matrix import Operation, Request, World
from tests.integration.test_enrolment_support import (
    CAMDEN,
    CAMDEN_PRACTICE,
    EPCN_CSV,
    EXETER,
    LEWISHAM,
    PRACTICE_MAP_CSV,
    create_offer,
    enrol,
    hold_session,
    register,
    start_enrolment,
)


class EnrolmentWorld(World):
    def __init__(self, database_url: str, kafka_bootstrap: str, topic_prefix: str, public_key, make_token):
        self.service = start_enrolment(
            database_url, kafka_bootstrap, topic_prefix, public_key, RATE_LIMIT_PER_MINUTE="0"
        )
        self.client = self.service.client
        self.admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y56", "admin-Y56")}
        other_admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y58", "admin-Y58")}
        self.people = {
            "own": register(self.client, self.admin, pcn=CAMDEN, n=1),
            "stranger": register(self.client, self.admin, pcn=LEWISHAM, n=2),
            "other": register(self.client, other_admin, pcn=EXETER, n=3),
        }
        self.person = self.people["own"]
        self._serial = 100
        self.offer = self.published_offer()
        self.enrolment = self.enrolled(self.offer)

    # --- fresh Y56 objects for the calls that change them ---------------------------------

    def draft_offer(self, **changes) -> str:
        return create_offer(self.client, self.admin, publish=False, **changes)

    def published_offer(self, **changes) -> str:
        return create_offer(self.client, self.admin, **changes)

    def started_offer(self) -> str:
        offer_id = self.published_offer()
        assert self.client.post(f"/v1/offers/{offer_id}/start", headers=self.admin).status_code == 200
        return offer_id

    def held_offer(self) -> str:
        """A started offer that has held a session: one that may complete."""
        offer_id = self.started_offer()
        hold_session(self.service, offer_id)
        return offer_id

    def team_offer(self) -> str:
        return self.published_offer(
            offer_type="pcn_team", pcn_code=CAMDEN, basis=None, capacity=12, title="Camden team"
        )

    def registered(self) -> str:
        return register(self.client, self.admin, pcn=CAMDEN, n=self.serial())

    def enrolled(self, offer_id: str | None = None) -> str:
        """A confirmed enrolment of the own participant (by default in a fresh offer)."""
        response = enrol(self.client, self.admin, offer_id or self.published_offer(), self.person)
        assert response.status_code == 201, response.json
        return response.json["id"]


def _ids(response, key="id") -> set:
    return {item[key] for item in response.json["items"]}


PAGE = {"limit": 200}
NATIONAL_IS_NOT_A_REGION = {"national": 403}  # offer_not_yours: the national team runs national offers, not a region's
# The ODS files cut to Camden's rows: an import in Y56 touches them, one in Y58 leaves them alone.
CAMDEN_EPCN = "\n".join(line for line in EPCN_CSV.splitlines() if line.startswith(f'"{CAMDEN}"'))
CAMDEN_PRACTICE_MAP = "\n".join(
    line for n, line in enumerate(PRACTICE_MAP_CSV.splitlines()) if n == 0 or f",{CAMDEN_PRACTICE}," in line
)


def _offer(world, caller):
    return Request({"offer_id": world.offer})


TABLE = {
    "list_regions": Operation(lambda w, c: Request()),
    "list_pcns": Operation(lambda w, c: Request(query=PAGE), shows=lambda w, c, r: CAMDEN in _ids(r, "code")),
    "get_pcn": Operation(lambda w, c: Request({"code": CAMDEN}), unknown={"code": "U99999"}),
    "list_practices": Operation(
        lambda w, c: Request(query=PAGE), shows=lambda w, c, r: CAMDEN_PRACTICE in _ids(r, "code")
    ),
    "import_reference_data": Operation(
        lambda w, c: Request(body={"epcn_csv": CAMDEN_EPCN, "practice_map_csv": CAMDEN_PRACTICE_MAP}),
        shows=lambda w, c, r: r.json["out_of_scope"] == 0,
    ),
    # Another region's administrator may not place anyone in a Y56 PCN: 422 wrong_region.
    "register_participant": Operation(
        lambda w, c: Request(
            body={
                "name": "New Person",
                "email": f"new{w.serial()}@example.invalid",
                "role": "gp",
                "pcn_code": CAMDEN,
                "leadership_experience": "none",
            }
        ),
        outside=422,
    ),
    "list_participants": Operation(lambda w, c: Request(query=PAGE), shows=lambda w, c, r: w.person in _ids(r)),
    "get_participant": Operation(lambda w, c: Request({"participant_id": w.person})),
    "erase_participant": Operation(lambda w, c: Request({"participant_id": w.registered()})),
    "list_participant_enrolments": Operation(
        lambda w, c: Request({"participant_id": w.person}), shows=lambda w, c, r: w.enrolment in _ids(r)
    ),
    "get_notification_preferences": Operation(lambda w, c: Request({"participant_id": w.person})),
    "set_notification_preferences": Operation(
        lambda w, c: Request(
            {"participant_id": w.person},
            body={"reminders": False, "feedback_requests": True},
            headers={"If-Match": "*"},
        )
    ),
    "create_offer": Operation(
        lambda w, c: Request(
            body={
                "offer_type": "action_learning_set",
                "title": "Set",
                "capacity": 8,
                "basis": "project",
                "starts_on": "2027-01-04",
                "ends_on": "2027-06-28",
                "planned_sessions": 6,
            }
        ),
    ),
    "list_offers": Operation(lambda w, c: Request(query=PAGE), shows=lambda w, c, r: w.offer in _ids(r)),
    "get_offer": Operation(_offer),
    "update_offer": Operation(
        lambda w, c: Request({"offer_id": w.draft_offer()}, body={"title": "Renamed"}, headers={"If-Match": 'W/"1"'}),
        outside=NATIONAL_IS_NOT_A_REGION,
    ),
    "publish_offer": Operation(lambda w, c: Request({"offer_id": w.draft_offer()}), outside=NATIONAL_IS_NOT_A_REGION),
    "start_offer": Operation(lambda w, c: Request({"offer_id": w.published_offer()}), outside=NATIONAL_IS_NOT_A_REGION),
    "complete_offer": Operation(lambda w, c: Request({"offer_id": w.held_offer()}), outside=NATIONAL_IS_NOT_A_REGION),
    "cancel_offer": Operation(
        lambda w, c: Request({"offer_id": w.published_offer()}), outside=NATIONAL_IS_NOT_A_REGION
    ),
    # A participant enrols only themselves: naming the seeded participant is 403 for others.
    "enrol": Operation(
        lambda w, c: Request({"offer_id": w.published_offer()}, body={"participant_id": w.person}),
        outside={"participant": 403},
    ),
    "enrol_team": Operation(lambda w, c: Request({"offer_id": w.team_offer()}, body={"participant_ids": [w.person]})),
    "roster": Operation(
        lambda w, c: Request({"offer_id": w.offer}, query=PAGE),
        shows=lambda w, c, r: w.person in _ids(r, "participant_id"),
    ),
    "withdraw": Operation(lambda w, c: Request({"enrolment_id": w.enrolled()})),
    "list_audit": Operation(
        lambda w, c: Request(query=PAGE), shows=lambda w, c, r: "Y56" in {i["region"] for i in r.json["items"]}
    ),
}
