"""Two look-ups the console's administrator pages rely on, on both databases: a participant found by
their exact e-mail address (through the blind index, names and addresses being sealed) and lists
without the erased; and an ODS import previewed (`dry_run`) with each change it would make,
writing nothing, then applied with the same report."""

from tests.integration.test_enrolment_import_scope import imported, practice_moved, reference_rows
from tests.integration.test_enrolment_support import (
    CAMDEN,
    EPCN_CSV,
    EXETER,
    LEWISHAM,
    LONDON,
    PRACTICE_MAP_CSV,
    SOUTH_WEST,
    as_role,  # noqa: F401 (fixture)
    enrolment,  # noqa: F401 (fixture)
    register,
    row_counts,
)


def test_a_participant_is_found_by_their_exact_email_whatever_its_case_and_only_in_their_region(enrolment, as_role):
    register(enrolment.client, as_role(), pcn=CAMDEN, n=1)
    wanted = register(enrolment.client, as_role(), pcn=LEWISHAM, n=2)
    found = enrolment.client.get(
        "/v1/participants", query_string={"email": f"PERSON2.{LEWISHAM}@example.invalid"}, headers=as_role()
    ).json
    assert [p["id"] for p in found["items"]] == [wanted] and found["total"] == 1
    partial = enrolment.client.get("/v1/participants", query_string={"email": "person2"}, headers=as_role()).json
    assert partial["items"] == []  # exact addresses only: there is no partial search of sealed data
    elsewhere = as_role("regional_admin", SOUTH_WEST)
    email = f"person2.{LEWISHAM.lower()}@example.invalid"
    assert (
        enrolment.client.get("/v1/participants", query_string={"email": email}, headers=elsewhere).json["items"] == []
    )


def test_erased_participants_are_left_out_of_a_list_that_asks_for_those_not_erased(enrolment, as_role):
    kept = register(enrolment.client, as_role(), n=1)
    erased = register(enrolment.client, as_role(), n=2)
    assert enrolment.client.delete(f"/v1/participants/{erased}", headers=as_role()).status_code == 204

    def listed(**query):
        answer = enrolment.client.get("/v1/participants", query_string=query, headers=as_role()).json
        return [p["id"] for p in answer["items"]], answer["total"]

    assert listed(erased="false") == ([kept], 1)
    assert listed(erased="true") == ([erased], 1)
    assert sorted(listed()[0]) == sorted([kept, erased])


def _changed_files() -> tuple[str, str]:
    """Camden renamed, a new London PCN with one practice, Kentish Town moved to Lewisham."""
    epcn = EPCN_CSV.replace('"CAMDEN CENTRAL PCN"', '"CAMDEN PCN"') + (
        '"U10004","HACKNEY PCN","93C","NHS NORTH CENTRAL LONDON ICB - 93C","20260101","","","","","","","E8 1AA"\n'
    )
    lines = PRACTICE_MAP_CSV.splitlines(keepends=True)
    practice_map = "".join(
        line.replace(f",{CAMDEN},CAMDEN CENTRAL PCN,", f",{LEWISHAM},LEWISHAM NORTH PCN,")
        if ",F83012," in line
        else line
        for line in lines
    ) + (
        "GP_PRAC_PAT_LIST,01-NOV-2026,F83099,HACKNEY PRACTICE,E8 1AA,U10004,HACKNEY PCN,E38000201,93C,"
        "NHS NORTH CENTRAL LONDON ICB - 93C,E54000001,QMJ,NHS NORTH CENTRAL LONDON INTEGRATED CARE BOARD,"
        f"E40000003,{LONDON},LONDON,EMIS\n"
    )
    return epcn, practice_map


def test_an_import_previewed_as_a_dry_run_reports_each_change_and_writes_nothing_then_applies_the_same(
    enrolment, as_role
):
    epcn, practice_map = _changed_files()
    national = as_role("national", None)
    before, counts = reference_rows(enrolment), row_counts(enrolment)
    preview = enrolment.client.post(
        "/v1/reference-data/imports",
        json={"epcn_csv": epcn, "practice_map_csv": practice_map, "dry_run": True},
        headers=national,
    )
    assert preview.status_code == 200, preview.json
    assert reference_rows(enrolment) == before
    assert {k: v for k, v in row_counts(enrolment).items() if k != "audit_log"} == {
        k: v for k, v in counts.items() if k != "audit_log"
    }
    report = preview.json
    assert report["dry_run"] is True
    assert report["pcns"] == {"created": 1, "updated": 1, "unchanged": 13}
    assert report["practices"] == {"created": 1, "updated": 1, "unchanged": 27}
    assert report["changes"] == [
        {
            "kind": "pcn",
            "code": "U10004",
            "name": "HACKNEY PCN",
            "change": "added",
            "differences": [
                {"field": "name", "before": None, "after": "HACKNEY PCN"},
                {"field": "sub_icb_code", "before": None, "after": "93C"},
                {"field": "sub_icb_name", "before": None, "after": "NHS NORTH CENTRAL LONDON ICB - 93C"},
                {"field": "region", "before": None, "after": LONDON},
                {"field": "opened_on", "before": None, "after": "2026-01-01"},
            ],
        },
        {
            "kind": "pcn",
            "code": CAMDEN,
            "name": "CAMDEN PCN",
            "change": "changed",
            "differences": [{"field": "name", "before": "CAMDEN CENTRAL PCN", "after": "CAMDEN PCN"}],
        },
        {
            "kind": "practice",
            "code": "F83099",
            "name": "HACKNEY PRACTICE",
            "change": "added",
            "differences": [
                {"field": "name", "before": None, "after": "HACKNEY PRACTICE"},
                {"field": "pcn_code", "before": None, "after": "U10004"},
            ],
        },
        {
            "kind": "practice",
            "code": "F83012",
            "name": "KENTISH TOWN HEALTH CENTRE",
            "change": "changed",
            "differences": [{"field": "pcn_code", "before": CAMDEN, "after": LEWISHAM}],
        },
    ]

    applied = imported(enrolment, national, epcn_csv=epcn, map_csv=practice_map)
    assert applied.status_code == 200, applied.json
    assert applied.json == report | {"dry_run": False}
    assert enrolment.client.get("/v1/pcns/U10004", headers=national).json["name"] == "HACKNEY PCN"


def test_a_dry_run_is_refused_as_the_import_would_be(enrolment, as_role):
    moving = practice_moved(PRACTICE_MAP_CSV, "F83012", EXETER, SOUTH_WEST)  # a London practice to the South West
    before = reference_rows(enrolment)
    answer = enrolment.client.post(
        "/v1/reference-data/imports",
        json={"epcn_csv": EPCN_CSV, "practice_map_csv": moving, "dry_run": True},
        headers=as_role(),
    )
    assert (answer.status_code, answer.json["rule"]) == (403, "rows_beyond_your_region")
    assert reference_rows(enrolment) == before
