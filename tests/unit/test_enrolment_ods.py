"""Unit tests of reading NHS ODS files and planning an import (services/enrolment/domain/ods.py). No I/O
beyond reading the files shipped with the service."""

from datetime import date

import pytest

from services.enrolment.domain.ods import (
    EPCN,
    PRACTICE_MAP,
    InvalidOdsFile,
    parse_epcn,
    parse_practice_map,
    plan_import,
)
from services.enrolment.domain.reference import Pcn, Practice
from services.enrolment.store.regions import REGIONS_FILE, load_regions
from shared.regions import REGIONS

SAMPLE = REGIONS_FILE.parent / "sample"
EPCN_CSV = (SAMPLE / "epcn.csv").read_text()
PRACTICE_MAP_CSV = (SAMPLE / "gp-reg-pat-prac-map.csv").read_text()

HEADER = "PRACTICE_CODE,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,ICB_CODE,COMM_REGION_CODE,COMM_REGION_NAME\n"


def epcn(*rows: str) -> str:
    return "".join(row + "\r\n" for row in rows)


def pcn_row(code="U10001", name="CAMDEN PCN", opened="20190701", closed=""):
    return (
        f'"{code}","{name}","93C","NHS NORTH CENTRAL LONDON ICB - 93C","{opened}","{closed}","1 HIGH '
        'ROAD","","","","","NW1 1AA"'
    )


def practice_map(*rows: str, header: str = HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


def practice_row(code="F83011", pcn="U10001", region="Y56"):
    return f"{code},{pcn},SOME PCN,93C,QMJ,{region},LONDON"


def problems_of(error: InvalidOdsFile) -> list[tuple[str, int]]:
    return [(row["field"], row["line"]) for row in error.rows]


def test_the_shipped_regions_file_holds_the_seven_regions_the_domain_knows():
    assert {region.code: region.name for region in load_regions()} == REGIONS
    assert load_regions()[0].ons_code == "E40000003"


def test_the_sample_files_read_without_a_bad_row():
    pcns, problems = parse_epcn(EPCN_CSV)
    practices, regions, map_problems = parse_practice_map(PRACTICE_MAP_CSV)
    assert (len(pcns), len(practices), problems, map_problems) == (15, 28, [], [])
    assert pcns[0] == (
        1,
        Pcn("U10001", "CAMDEN CENTRAL PCN", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", None, date(2019, 7, 1), None),
    )
    assert pcns[-1][1].closed_on == date(2023, 3, 31)
    assert regions["U10001"] == "Y56" and regions["U70002"] == "Y63"
    assert practices[0] == (2, Practice("F83011", "U10001", "REGENTS PARK MEDICAL CENTRE"))


def test_epcn_has_no_header_and_blank_lines_and_a_byte_order_mark_are_harmless():
    pcns, problems = parse_epcn("\ufeff" + epcn(pcn_row(), "", pcn_row("U10002")))
    assert [(line, pcn.code) for line, pcn in pcns] == [(1, "U10001"), (3, "U10002")] and problems == []


@pytest.mark.parametrize(
    "row, words",
    [
        (pcn_row(code="U1234"), "PCN ODS code"),
        (pcn_row(code="u10001"), "PCN ODS code"),
        (pcn_row(name=" "), "must not be blank"),
        (pcn_row(opened="2019-07-01"), "YYYYMMDD"),
        (pcn_row(closed="20231"), "YYYYMMDD"),
        ('"U10001","CAMDEN PCN","93C"', "at least 6 columns"),
    ],
)
def test_a_bad_epcn_row_is_named_by_its_line_and_what_is_wrong(row, words):
    _, problems = parse_epcn(epcn(pcn_row("U10009"), row))
    assert [(p.file, p.line) for p in problems] == [(EPCN, 2)]
    assert words in problems[0].reason


def test_a_pcn_listed_twice_is_a_bad_row_that_points_at_the_first():
    _, problems = parse_epcn(epcn(pcn_row(), pcn_row("U10002"), pcn_row()))
    assert [(p.line, p.reason) for p in problems] == [(3, "the PCN code is repeated (first on line 1).")]


def test_the_practice_map_is_read_by_column_name_in_any_order_with_extra_columns():
    text = (
        "EXTRACT_DATE,COMM_REGION_CODE,PCN_CODE,PRACTICE_CODE,PRACTICE_NAME\n01-NOV-2026,Y58,U20001,J81031, WIMBORNE \n"
    )
    practices, regions, problems = parse_practice_map(text)
    assert (
        practices == [(2, Practice("J81031", "U20001", "WIMBORNE"))] and regions == {"U20001": "Y58"} and problems == []
    )


def test_a_practice_map_without_a_needed_column_is_refused_at_its_header():
    _, _, problems = parse_practice_map("PRACTICE_CODE,PCN_CODE\nF83011,U10001\n")
    assert [(p.line, p.reason) for p in problems] == [(1, "the header lacks COMM_REGION_CODE.")]


@pytest.mark.parametrize(
    "row, words",
    [
        (practice_row(code="F8301"), "PRACTICE_CODE"),
        (practice_row(code="F83012", pcn="U1000"), "PCN_CODE"),
        (practice_row(code="F83012", region="Y57"), "COMM_REGION_CODE"),
        (practice_row(code="F83012", region="Y58"), "COMM_REGION_CODE: the PCN has another region on line 2"),
        (practice_row(), "repeated (first on line 2)"),
    ],
)
def test_a_bad_practice_map_row_is_named_by_its_line(row, words):
    _, _, problems = parse_practice_map(practice_map(practice_row(), row))
    assert [(p.file, p.line) for p in problems] == [(PRACTICE_MAP, 3)]
    assert words in problems[0].reason


def test_every_bad_row_of_both_files_is_reported_and_nothing_is_planned():
    with pytest.raises(InvalidOdsFile) as caught:
        plan_import(epcn(pcn_row("U1"), pcn_row("U2")), practice_map(practice_row(code="1")), {}, {})
    assert problems_of(caught.value) == [(EPCN, 1), (EPCN, 2), (PRACTICE_MAP, 2)]
    assert (
        caught.value.rule == "invalid_ods_file" and caught.value.detail == "3 rows are invalid; nothing was imported."
    )


def test_a_first_import_creates_every_pcn_with_its_region_and_every_practice():
    plan = plan_import(EPCN_CSV, PRACTICE_MAP_CSV, {}, {})
    assert (len(plan.pcns_created), len(plan.practices_created)) == (14, 28)
    assert {p.code: p.region for p in plan.pcns_created}["U20002"] == "Y58"
    assert plan.report()["skipped_rows"] == [
        {"file": EPCN, "line": 15, "reason": "no_region: no practice of this PCN is in the practice map"}
    ]


def test_importing_what_is_already_there_changes_nothing():
    first = plan_import(EPCN_CSV, PRACTICE_MAP_CSV, {}, {})
    again = plan_import(
        EPCN_CSV,
        PRACTICE_MAP_CSV,
        {p.code: p for p in first.pcns_created},
        {p.code: p for p in first.practices_created},
    )
    assert again.report()["pcns"] == {"created": 0, "updated": 0, "unchanged": 14}
    assert again.report()["practices"] == {"created": 0, "updated": 0, "unchanged": 28}


def test_a_renamed_pcn_and_a_practice_that_moved_are_updates():
    known_pcn = Pcn("U10001", "OLD NAME", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y56", date(2019, 7, 1), None)
    plan = plan_import(
        epcn(pcn_row(name="NEW NAME"), pcn_row("U10002")),
        practice_map(practice_row(), practice_row("F83012", "U10002")),
        {"U10001": known_pcn},
        {"F83012": Practice("F83012", "U10001", None)},
    )
    assert [p.name for p in plan.pcns_updated] == ["NEW NAME"] and [p.code for p in plan.pcns_created] == ["U10002"]
    assert [p.pcn_code for p in plan.practices_updated] == ["U10002"] and [p.code for p in plan.practices_created] == [
        "F83011"
    ]


def test_a_pcn_keeps_its_known_region_when_no_practice_in_the_map_names_one():
    known = Pcn("U10001", "CAMDEN PCN", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y56", date(2019, 7, 1), None)
    plan = plan_import(epcn(pcn_row(closed="20250331")), practice_map(), {"U10001": known}, {})
    assert [(p.region, p.closed_on) for p in plan.pcns_updated] == [("Y56", date(2025, 3, 31))]


def test_practices_of_unknown_pcns_or_of_none_are_skipped_and_reported():
    plan = plan_import(
        epcn(pcn_row()), practice_map(practice_row(), practice_row("F83012", "U99999"), "F83013,,,,,,"), {}, {}
    )
    assert [p.code for p in plan.practices_created] == ["F83011"]
    assert [(note.line, note.reason.split(":")[0]) for note in plan.skipped] == [(3, "unknown_pcn"), (4, "no_pcn")]


def test_a_regional_import_plans_only_its_own_region():
    plan = plan_import(EPCN_CSV, PRACTICE_MAP_CSV, {}, {}, scope_region="Y58")
    assert {p.region for p in plan.pcns_created} == {"Y58"} and len(plan.practices_created) == 4
    assert plan.out_of_scope == 12 + 24


def test_the_report_lists_at_most_a_hundred_skipped_rows():
    rows = [pcn_row(f"U5{n:04d}") for n in range(150)]
    report = plan_import(epcn(*rows), practice_map(), {}, {}).report()
    assert report["skipped"] == 150 and len(report["skipped_rows"]) == 100
