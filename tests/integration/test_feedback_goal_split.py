"""Coaching's outcome figures split by the coachees' goal types, on both databases: feedback
learns the types from scheduling's `coaching.goals_set` (the latest wins), files each coaching
pair in the one cell of its combination of types, and publishes the split suppressed against
the outcome table's coaching cells, alike for every role."""

from datetime import timedelta

from services.feedback.store import tables as store
from shared.contracts import scheduling
from tests.integration.test_feedback_handlers import NOW, world  # noqa: F401 (world: the shared fixture)

SCORES = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 2}
BY_GOALS = "/v1/outcomes/changes/by-goal-type"


def goals_set(world, person, goal_types, set_at=NOW):
    data = {
        "offer_id": "c1",
        "participant_id": person,
        "region": "Y56",
        "goal_types": goal_types,
        "set_at": set_at.isoformat(),
    }
    world.deliver(scheduling.COACHING_GOALS_SET, data)


def pair(world, as_, person):
    for phase, confidence in (("before", 3), ("after", 6)):
        body = {"offer_id": "c1", "phase": phase, "scores": SCORES | {"confidence": confidence}}
        assert (
            world.client.post("/v1/outcome-measures", json=body, headers=as_("participant", "Y56", person)).status_code
            == 201
        )


def test_the_latest_goals_of_a_coachee_are_kept_as_their_combination_and_never_their_words(world):
    goals_set(world, "p1", ["leadership_goal", "coaching_skills"])
    goals_set(world, "p1", ["facilitation_skills"], set_at=NOW - timedelta(hours=1))  # older, late
    assert [(r["participant_id"], r["goals"]) for r in world.rows(store.coaching_goals)] == [
        ("p1", "coaching_skills+leadership_goal")
    ]
    goals_set(world, "p1", ["facilitation_skills"], set_at=NOW + timedelta(hours=1))
    assert [r["goals"] for r in world.rows(store.coaching_goals)] == ["facilitation_skills"]


def test_coaching_outcomes_are_split_by_goal_types_with_each_coachee_in_one_cell_and_small_cells_withheld(world, as_):
    world.offer("c1", offer_type="coaching", status="completed")
    people = [(f"lead-{i}", ["leadership_goal"]) for i in range(6)] + [
        (f"both-{i}", ["leadership_goal", "coaching_skills"]) for i in range(5)
    ]
    for person, goal_types in people + [("unset-0", None), ("unset-1", None)]:
        world.member("c1", person, offer_type="coaching")
        if goal_types:
            goals_set(world, person, goal_types)
        pair(world, as_, person)
    national = world.client.get(BY_GOALS, headers=as_("national"))
    assert national.status_code == 200, national.json
    cells = {(c["region"], "+".join(c["goal_types"]) or "not_set"): c for c in national.json["cells"]}
    shown = {
        place: (c["pairs"], {m["measure"]: m["change"] for m in c["measures"]}["confidence"])
        for place, c in cells.items()
        if not c["suppressed"]
    }
    # Two with no goals are withheld; the five with both types cover them (13 - 6 would give 7,
    # not 2, once both are withheld); leadership alone shows, rounded: 6 -> 5.
    assert shown == {("Y56", "leadership_goal"): (5, 3.0), (None, "leadership_goal"): (5, 3.0)}
    withheld = cells[("Y56", "coaching_skills+leadership_goal")]
    assert (withheld["pairs"], withheld["measures"], withheld["reason"]) == (None, [], "small_numbers")
    assert cells[("Y56", "not_set")]["goals_set"] is False and cells[("Y56", "leadership_goal")]["goals_set"] is True
    # The outcome table is as it was: the coaching cell shows all 13, rounded.
    table = world.client.get("/v1/outcomes/changes", headers=as_("national")).json["cells"]
    assert [c["pairs"] for c in table if (c["region"], c["offer_type"]) == ("Y56", "coaching")] == [15]
    own = world.client.get(BY_GOALS, headers=as_("regional_admin", "Y56")).json["cells"]
    assert {c["region"] for c in own} == {"Y56"} and len(own) == 8
    assert [c for c in own if not c["suppressed"]] == [cells[("Y56", "leadership_goal")]]
