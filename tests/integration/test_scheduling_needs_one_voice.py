"""Scheduling's needs projection on both databases: a cohort member's answers share one
`response_id` (feedback's pseudonym of the member for the offer), so the latest replaces the
earlier and co-design counts members, not answers."""

from shared.contracts.feedback import NEEDS_REPORTED
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401


def co_design(scheduling: Scheduling, offer_id: str):
    return scheduling.client.post(f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=scheduling.headers())


def test_a_members_later_answer_replaces_their_earlier_one_and_co_design_still_waits_for_five_members(
    scheduling: Scheduling,
):
    offer_id = scheduling.publish_offer()
    scheduling.schedule(offer_id, {"starts_at": local(7), "duration_minutes": 60})
    for number in range(4):
        scheduling.deliver(
            NEEDS_REPORTED,
            {
                "response_id": f"member-{number}",
                "region": "Y56",
                "offer_id": offer_id,
                "ratings": {"strategy": 5, "teamwork": 1},
            },
        )
    scheduling.deliver(
        NEEDS_REPORTED,
        {"response_id": "member-0", "region": "Y56", "offer_id": offer_id, "ratings": {"strategy": 1, "teamwork": 5}},
    )
    refused = co_design(scheduling, offer_id)
    assert (refused.status_code, refused.json["rule"]) == (422, "too_few_needs_answers")  # four members, five answers
    scheduling.deliver(
        NEEDS_REPORTED,
        {"response_id": "member-4", "region": "Y56", "offer_id": offer_id, "ratings": {"strategy": 5, "teamwork": 1}},
    )
    designed = co_design(scheduling, offer_id)
    assert designed.status_code == 200, designed.json
    # member-0's latest answer counts, once: strategy (5+5+5+5+1)/5, teamwork (1+1+1+1+5)/5
    assert [(n["need"], n["score"], n["responses"]) for n in designed.json["ranking"]] == [
        ("strategy", 4.2, 5),
        ("teamwork", 1.8, 5),
    ]
