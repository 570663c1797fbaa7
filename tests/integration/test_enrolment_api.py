"""The enrolment API over HTTP on both databases: reference data, participants, offers and
enrolments, each seen through the region scope of the caller's token."""

import json

from sqlalchemy import select

from tests.integration.test_enrolment_support import (
    CAMDEN,
    CAMDEN_PRACTICE,
    EPCN_CSV,
    EXETER,
    LEWISHAM,
    LONDON,
    PRACTICE_MAP_CSV,
    SOUTH_WEST,
    as_role,  # noqa: F401 (fixture)
    create_offer,
    enrol,
    enrolment,  # noqa: F401 (fixture)
    hold_session,
    outbox_types,
    register,
    row_counts,
)

EVENT = "org.convene.enrolment."


# --- Reference data -------------------------------------------------------------------


def test_the_seven_regions_come_from_the_file_shipped_with_the_service(enrolment, as_role):
    response = enrolment.client.get("/v1/regions", headers=as_role("participant", LONDON, "p-1"))
    assert response.status_code == 200
    assert [(r["code"], r["name"]) for r in response.json["items"]][:2] == [("Y56", "London"), ("Y58", "South West")]
    assert response.json["total"] == 7


def test_pcns_are_listed_by_region_a_page_at_a_time(enrolment, as_role):
    national = as_role("national", None)
    first = enrolment.client.get("/v1/pcns?region=Y56&limit=1", headers=national).json
    second = enrolment.client.get("/v1/pcns?region=Y56&limit=1&offset=1", headers=national).json
    assert (first["total"], [p["code"] for p in first["items"] + second["items"]]) == (2, [CAMDEN, LEWISHAM])
    assert first["items"][0] == {
        "code": CAMDEN,
        "name": "CAMDEN CENTRAL PCN",
        "sub_icb_code": "93C",
        "sub_icb_name": "NHS NORTH CENTRAL LONDON ICB - 93C",
        "region": LONDON,
        "opened_on": "2019-07-01",
        "closed_on": None,
    }
    assert enrolment.client.get("/v1/pcns?limit=200", headers=national).json["total"] == 14


def test_regional_staff_see_only_their_regions_pcns_and_practices(enrolment, as_role):
    london = as_role()
    assert {p["region"] for p in enrolment.client.get("/v1/pcns", headers=london).json["items"]} == {LONDON}
    assert enrolment.client.get("/v1/pcns?region=Y58", headers=london).json == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert enrolment.client.get(f"/v1/pcns/{EXETER}", headers=london).status_code == 404
    assert enrolment.client.get(f"/v1/practices?pcn={EXETER}", headers=london).json["total"] == 0
    practices = enrolment.client.get(f"/v1/practices?pcn={CAMDEN}", headers=london).json
    assert [p["code"] for p in practices["items"]] == [CAMDEN_PRACTICE, "F83012"]


def test_an_import_over_http_reports_what_changed_and_a_repeat_changes_nothing(enrolment, as_role):
    national = as_role("national", None)
    renamed = EPCN_CSV.replace("CAMDEN CENTRAL PCN", "CAMDEN CENTRAL AND SOUTH PCN")
    moved = PRACTICE_MAP_CSV.replace(
        "F83012,KENTISH TOWN HEALTH CENTRE,NW5 2AA,U10001", "F83012,KENTISH TOWN HEALTH CENTRE,NW5 2AA,U10002"
    )
    extra = (
        "GP_PRAC_PAT_LIST,01-NOV-2026,F83013,A NEW SURGERY,NW1 9ZZ,U10001,CAMDEN CENTRAL "
        "PCN,E38000201,93C,X,E54000001,QMJ,X,E40000003,Y56,LONDON,EMIS\r\n"
    )
    body = {"epcn_csv": renamed, "practice_map_csv": moved + extra}
    report = enrolment.client.post("/v1/reference-data/imports", json=body, headers=national)
    assert report.status_code == 200, report.json
    assert report.json["pcns"] == {"created": 0, "updated": 1, "unchanged": 13}
    assert report.json["practices"] == {"created": 1, "updated": 1, "unchanged": 27}
    assert report.json["skipped_rows"] == [
        {"file": "epcn_csv", "line": 15, "reason": "no_region: no practice of this PCN is in the practice map"}
    ]
    again = enrolment.client.post("/v1/reference-data/imports", json=body, headers=national).json
    assert (again["pcns"], again["practices"]) == (
        {"created": 0, "updated": 0, "unchanged": 14},
        {"created": 0, "updated": 0, "unchanged": 29},
    )
    assert enrolment.client.get(f"/v1/pcns/{CAMDEN}", headers=national).json["name"] == "CAMDEN CENTRAL AND SOUTH PCN"


def test_a_regional_administrators_import_leaves_other_regions_alone(enrolment, as_role):
    body = {
        "epcn_csv": EPCN_CSV.replace("EXETER CITY PCN", "EXETER PCN").replace("CAMDEN CENTRAL PCN", "CAMDEN PCN"),
        "practice_map_csv": PRACTICE_MAP_CSV,
    }
    report = enrolment.client.post("/v1/reference-data/imports", json=body, headers=as_role()).json
    assert report["pcns"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert report["out_of_scope"] == 12 + 24
    national = as_role("national", None)
    assert enrolment.client.get(f"/v1/pcns/{EXETER}", headers=national).json["name"] == "EXETER CITY PCN"


def test_the_import_takes_files_larger_than_other_requests_may_be(enrolment, as_role):
    padding = "".join(
        f'"U8{n:04d}","PADDING PCN {n}","93C","X","20190701","","{"A" * 200}","","","","","N1 1AA"\r\n'
        for n in range(6000)
    )
    body = {"epcn_csv": EPCN_CSV + padding, "practice_map_csv": PRACTICE_MAP_CSV}
    assert len(json.dumps(body)) > enrolment.settings.max_body_bytes
    report = enrolment.client.post("/v1/reference-data/imports", json=body, headers=as_role("national", None))
    assert report.status_code == 200
    assert report.json["skipped"] == 6001


# --- Participants -----------------------------------------------------------------------


def test_a_participants_region_is_their_pcns_and_their_event_carries_no_name_or_email(enrolment, as_role):
    participant_id = register(
        enrolment.client, as_role(), pcn=LEWISHAM, n=7, role="clinical_director", practice_code="G85021"
    )
    shown = enrolment.client.get(f"/v1/participants/{participant_id}", headers=as_role()).json
    assert {k: shown[k] for k in ("region", "pcn_code", "practice_code", "role", "email")} == {
        "region": LONDON,
        "pcn_code": LEWISHAM,
        "practice_code": "G85021",
        "role": "clinical_director",
        "email": "person7.u10002@example.invalid",
    }
    outbox = enrolment.runtime.db.tables.outbox
    with enrolment.runtime.db.read() as conn:
        event = conn.execute(select(outbox)).one()
    assert event.event_type == EVENT + "participant.registered.v1" and event.key == participant_id
    assert json.loads(event.value) == {
        "participant_id": participant_id,
        "region": LONDON,
        "pcn_code": LEWISHAM,
        "role": "clinical_director",
        "leadership_experience": "none",
    }
    assert "Test Person" not in event.headers + event.value and "example.invalid" not in event.headers + event.value


def test_a_participant_sees_only_themselves(enrolment, as_role):
    me, other = (register(enrolment.client, as_role(), n=n) for n in (1, 2))
    mine = as_role("participant", LONDON, me)
    assert [p["id"] for p in enrolment.client.get("/v1/participants", headers=mine).json["items"]] == [me]
    assert enrolment.client.get(f"/v1/participants/{me}", headers=mine).status_code == 200
    assert enrolment.client.get(f"/v1/participants/{other}", headers=mine).status_code == 404


def test_another_regions_administrator_neither_sees_nor_lists_a_participant(enrolment, as_role):
    participant_id = register(enrolment.client, as_role())
    south_west = as_role("regional_admin", SOUTH_WEST)
    assert enrolment.client.get(f"/v1/participants/{participant_id}", headers=south_west).status_code == 404
    assert enrolment.client.get("/v1/participants", headers=south_west).json["total"] == 0
    assert enrolment.client.get("/v1/participants", headers=as_role("national", None)).status_code == 403


def test_participants_are_filtered_by_pcn_and_role(enrolment, as_role):
    register(enrolment.client, as_role(), pcn=CAMDEN, n=1, role="nurse")
    wanted = register(enrolment.client, as_role(), pcn=LEWISHAM, n=2, role="nurse")
    register(enrolment.client, as_role(), pcn=LEWISHAM, n=3, role="gp")
    found = enrolment.client.get(f"/v1/participants?pcn={LEWISHAM}&role=nurse", headers=as_role()).json
    assert [p["id"] for p in found["items"]] == [wanted]


def test_an_email_address_is_registered_once_whatever_its_case(enrolment, as_role):
    register(enrolment.client, as_role(), n=1)
    body = {
        "name": "Someone Else",
        "email": "PERSON1.U10001@example.invalid",
        "role": "gp",
        "pcn_code": CAMDEN,
        "leadership_experience": "none",
    }
    response = enrolment.client.post("/v1/participants", json=body, headers=as_role())
    assert (response.status_code, response.json["rule"]) == (409, "email_taken")
    assert "PERSON1" not in response.get_data(as_text=True)


# --- Offers -----------------------------------------------------------------------------


def test_an_offer_goes_from_draft_to_completed_with_an_event_at_each_step(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), publish=False)
    hold_session(enrolment, offer_id)
    statuses = [
        enrolment.client.post(f"/v1/offers/{offer_id}/{action}", headers=as_role()).json["status"]
        for action in ("publish", "start", "complete")
    ]
    assert statuses == ["published", "started", "completed"]
    assert outbox_types(enrolment) == [EVENT + f"offer.{action}.v1" for action in ("published", "started", "completed")]
    again = enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=as_role())
    assert (again.status_code, again.json["rule"]) == (409, "invalid_transition")


def test_a_cancelled_offer_says_so_in_its_event(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    assert enrolment.client.post(f"/v1/offers/{offer_id}/cancel", headers=as_role()).json["status"] == "cancelled"
    assert outbox_types(enrolment)[-1] == EVENT + "offer.cancelled.v1"


def test_offers_are_filtered_by_region_type_and_status_a_page_at_a_time(enrolment, as_role):
    create_offer(enrolment.client, as_role())
    coaching = create_offer(
        enrolment.client, as_role(), offer_type="coaching", capacity=1, basis=None, session_allowance=6
    )
    create_offer(
        enrolment.client, as_role(), publish=False, offer_type="coaching", capacity=1, basis=None, session_allowance=6
    )
    create_offer(enrolment.client, as_role("regional_admin", SOUTH_WEST))
    found = enrolment.client.get("/v1/offers?type=coaching&status=published", headers=as_role()).json
    assert [o["id"] for o in found["items"]] == [coaching]
    assert enrolment.client.get("/v1/offers", headers=as_role()).json["total"] == 3
    assert enrolment.client.get("/v1/offers?region=Y58", headers=as_role()).json["total"] == 0
    assert enrolment.client.get("/v1/offers?region=Y58", headers=as_role("national", None)).json["total"] == 1
    assert enrolment.client.get("/v1/offers?limit=1&offset=1", headers=as_role("national", None)).json["total"] == 4


def test_participants_browse_published_offers_of_every_region_but_no_drafts(enrolment, as_role):
    published = create_offer(enrolment.client, as_role("regional_admin", SOUTH_WEST))
    draft = create_offer(enrolment.client, as_role(), publish=False)
    reader = as_role("participant", LONDON, "someone")
    assert [o["id"] for o in enrolment.client.get("/v1/offers", headers=reader).json["items"]] == [published]
    assert enrolment.client.get(f"/v1/offers/{draft}", headers=reader).status_code == 404


def test_another_regions_administrator_gets_404_for_an_offer(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    south_west = as_role("regional_admin", SOUTH_WEST)
    assert enrolment.client.get(f"/v1/offers/{offer_id}", headers=south_west).status_code == 404
    assert enrolment.client.post(f"/v1/offers/{offer_id}/cancel", headers=south_west).status_code == 404


def test_the_national_team_runs_national_offers_that_regional_administrators_can_see(enrolment, as_role):
    national = as_role("national", None)
    offer_id = create_offer(enrolment.client, national)
    assert enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role()).json["region"] == "national"
    refused = enrolment.client.post(f"/v1/offers/{offer_id}/cancel", headers=as_role())
    assert (refused.status_code, refused.json["rule"]) == (403, "offer_not_yours")


def test_an_offer_is_changed_only_by_naming_the_version_read(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    read = enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role())
    path, change = f"/v1/offers/{offer_id}", {"title": "Action learning set: estates"}
    assert enrolment.client.patch(path, json=change, headers=as_role()).status_code == 428
    changed = enrolment.client.patch(path, json=change, headers={**as_role(), "If-Match": read.headers["ETag"]})
    assert (changed.status_code, changed.json["title"], changed.json["version"]) == (
        200,
        "Action learning set: estates",
        3,
    )
    assert changed.headers["ETag"] == 'W/"3"'
    stale = enrolment.client.patch(
        path, json={"title": "Again"}, headers={**as_role(), "If-Match": read.headers["ETag"]}
    )
    assert stale.status_code == 412
    assert outbox_types(enrolment)[-1] == EVENT + "offer.updated.v1"


def test_raising_a_published_offers_capacity_promotes_from_the_waitlist_in_order(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=2)
    enrolled = [
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=n)).json for n in range(5)
    ]
    etag = enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role()).headers["ETag"]
    offer = enrolment.client.patch(
        f"/v1/offers/{offer_id}", json={"capacity": 3}, headers={**as_role(), "If-Match": etag}
    ).json
    assert (offer["places_taken"], offer["waitlist_length"]) == (3, 2)
    roster = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=as_role()).json["items"]
    assert [(e["id"], e["status"], e["waitlist_position"]) for e in roster] == [
        (enrolled[0]["id"], "confirmed", None),
        (enrolled[1]["id"], "confirmed", None),
        (enrolled[2]["id"], "confirmed", None),
        (enrolled[3]["id"], "waitlisted", 1),
        (enrolled[4]["id"], "waitlisted", 2),
    ]
    assert outbox_types(enrolment)[-2:] == [EVENT + "offer.updated.v1", EVENT + "enrolment.promoted.v1"]


def test_a_started_offer_can_no_longer_be_changed(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    started = enrolment.client.post(f"/v1/offers/{offer_id}/start", headers=as_role())
    refused = enrolment.client.patch(
        f"/v1/offers/{offer_id}", json={"title": "Later"}, headers={**as_role(), "If-Match": started.headers["ETag"]}
    )
    assert (refused.status_code, refused.json["rule"]) == (409, "offer_not_editable")


# --- Enrolments -------------------------------------------------------------------------


def test_enrolment_fills_the_places_then_the_waitlist_in_order(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=3)
    answers = [
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=n)) for n in range(5)
    ]
    assert [a.status_code for a in answers] == [201] * 5
    assert [(a.json["status"], a.json["waitlist_position"]) for a in answers] == [("confirmed", None)] * 3 + [
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    offer = enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role()).json
    assert (offer["places_taken"], offer["waitlist_length"], offer["open_places"]) == (3, 2, False)


def test_only_the_offers_manager_reads_its_exact_places_and_waitlist_everyone_else_the_nearest_five(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=3)
    for n in range(5):
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=n))
    for headers in (
        as_role("participant", "Y56", "someone"),
        as_role("national", None),
        as_role("facilitator", "Y56", "someone"),
    ):
        offer = enrolment.client.get(f"/v1/offers/{offer_id}", headers=headers).json
        assert (offer["places_taken"], offer["waitlist_length"], offer["open_places"]) == (
            5,
            0,
            False,
        )  # 3 and 2, rounded
        listed = [o for o in enrolment.client.get("/v1/offers", headers=headers).json["items"] if o["id"] == offer_id]
        assert [(o["places_taken"], o["waitlist_length"]) for o in listed] == [(5, 0)]


def test_a_participant_enrols_themselves_and_nobody_else(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    me, other = (register(enrolment.client, as_role(), n=n) for n in (1, 2))
    mine = as_role("participant", LONDON, me)
    assert enrol(enrolment.client, mine, offer_id, me).json["status"] == "confirmed"
    refused = enrol(enrolment.client, mine, offer_id, other)
    assert (refused.status_code, refused.json["rule"]) == (403, "own_enrolment_only")


def test_an_administrator_enrols_only_people_of_their_own_region(enrolment, as_role):
    national_offer = create_offer(enrolment.client, as_role("national", None))
    outsider = register(enrolment.client, as_role("regional_admin", SOUTH_WEST), pcn=EXETER)
    refused = enrol(enrolment.client, as_role(), national_offer, outsider)
    assert (refused.status_code, refused.json["rule"]) == (404, "participant_not_found")
    assert enrol(enrolment.client, as_role("regional_admin", SOUTH_WEST), national_offer, outsider).status_code == 201


def test_withdrawing_a_member_promotes_the_first_waitlisted_and_closes_up_the_waitlist(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=2)
    enrolled = [
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=n)).json for n in range(5)
    ]
    withdrawn = enrolment.client.post(f"/v1/enrolments/{enrolled[0]['id']}/withdraw", headers=as_role())
    assert (withdrawn.status_code, withdrawn.json["status"], withdrawn.json["waitlist_position"]) == (
        200,
        "withdrawn",
        None,
    )
    roster = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=as_role()).json["items"]
    assert [(e["participant_id"], e["status"], e["waitlist_position"]) for e in roster] == [
        (enrolled[1]["participant_id"], "confirmed", None),
        (enrolled[2]["participant_id"], "confirmed", None),
        (enrolled[3]["participant_id"], "waitlisted", 1),
        (enrolled[4]["participant_id"], "waitlisted", 2),
        (enrolled[0]["participant_id"], "withdrawn", None),
    ]
    assert outbox_types(enrolment)[-2:] == [EVENT + "enrolment.withdrawn.v1", EVENT + "enrolment.promoted.v1"]


def test_a_participant_withdraws_from_the_waitlist_and_the_gap_closes(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=1)
    people = [register(enrolment.client, as_role(), n=n) for n in range(4)]
    enrolled = [enrol(enrolment.client, as_role(), offer_id, p).json for p in people]
    mine = as_role("participant", LONDON, people[2])
    assert enrolment.client.post(f"/v1/enrolments/{enrolled[2]['id']}/withdraw", headers=mine).status_code == 200
    assert enrolment.client.post(f"/v1/enrolments/{enrolled[3]['id']}/withdraw", headers=mine).status_code == 404
    waitlist = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments?status=waitlisted", headers=as_role()).json[
        "items"
    ]
    assert [(e["participant_id"], e["waitlist_position"]) for e in waitlist] == [(people[1], 1), (people[3], 2)]
    again = enrolment.client.post(f"/v1/enrolments/{enrolled[2]['id']}/withdraw", headers=mine)
    assert (again.status_code, again.json["rule"]) == (409, "not_active")


def test_a_pcn_team_that_fits_is_confirmed_whole_in_one_call(enrolment, as_role):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=4, basis=None, pcn_code=LEWISHAM
    )
    team = [register(enrolment.client, as_role(), pcn=LEWISHAM, n=n) for n in range(4)]
    response = enrolment.client.post(
        f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team}, headers=as_role()
    )
    assert response.status_code == 201, response.json
    assert [(e["participant_id"], e["status"], e["waitlist_position"]) for e in response.json["items"]] == [
        (p, "confirmed", None) for p in team
    ]
    assert outbox_types(enrolment).count(EVENT + "enrolment.confirmed.v1") == 4


def test_a_repeated_idempotency_key_answers_the_first_enrolment_again(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    person = register(enrolment.client, as_role())
    headers = {**as_role(), "Idempotency-Key": "enrol-once"}
    first, second = (
        enrolment.client.post(f"/v1/offers/{offer_id}/enrolments", json={"participant_id": person}, headers=headers)
        for _ in range(2)
    )
    assert (first.status_code, second.status_code, second.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    assert first.json == second.json
    assert outbox_types(enrolment).count(EVENT + "enrolment.confirmed.v1") == 1


def test_a_roster_lists_members_then_the_waitlist_a_page_at_a_time(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=2)
    people = [register(enrolment.client, as_role(), n=n, role="pharmacist") for n in range(4)]
    for person in people:
        enrol(enrolment.client, as_role(), offer_id, person)
    page = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments?limit=2&offset=2", headers=as_role()).json
    assert page["total"] == 4
    assert [(e["participant_id"], e["waitlist_position"], e["role"], e["pcn_code"]) for e in page["items"]] == [
        (people[2], 1, "pharmacist", CAMDEN),
        (people[3], 2, "pharmacist", CAMDEN),
    ]
    assert "name" not in page["items"][0] and "email" not in page["items"][0]
    assert (
        enrolment.client.get(
            f"/v1/offers/{offer_id}/enrolments", headers=as_role("participant", LONDON, people[0])
        ).status_code
        == 403
    )


def test_a_participants_enrolments_are_theirs_to_read(enrolment, as_role):
    person = register(enrolment.client, as_role())
    offers = [create_offer(enrolment.client, as_role()) for _ in range(2)]
    for offer_id in offers:
        enrol(enrolment.client, as_role(), offer_id, person)
    mine = enrolment.client.get(
        f"/v1/participants/{person}/enrolments", headers=as_role("participant", LONDON, person)
    ).json
    assert [e["offer_id"] for e in mine["items"]] == offers
    assert (
        enrolment.client.get(
            f"/v1/participants/{person}/enrolments", headers=as_role("participant", LONDON, "someone-else")
        ).status_code
        == 404
    )


def test_every_endpoint_is_in_the_served_openapi_document(enrolment):
    paths = enrolment.client.get("/openapi.json").json["paths"]
    assert {
        "/v1/regions",
        "/v1/pcns",
        "/v1/pcns/{code}",
        "/v1/practices",
        "/v1/reference-data/imports",
        "/v1/participants",
        "/v1/participants/{participant_id}",
        "/v1/participants/{participant_id}/enrolments",
        "/v1/offers",
        "/v1/offers/{offer_id}",
        "/v1/offers/{offer_id}/publish",
        "/v1/offers/{offer_id}/start",
        "/v1/offers/{offer_id}/complete",
        "/v1/offers/{offer_id}/cancel",
        "/v1/offers/{offer_id}/enrolments",
        "/v1/offers/{offer_id}/team-enrolments",
        "/v1/enrolments/{enrolment_id}/withdraw",
    } <= set(paths)
    assert set(paths["/v1/offers/{offer_id}"]) == {"get", "patch"}
    assert row_counts(enrolment)["pcns"] == 14
