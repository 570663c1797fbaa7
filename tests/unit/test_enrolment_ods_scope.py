"""Unit tests of who may change which reference data in an ODS import (services/enrolment/domain/ods.py):
a regional import changes its own region only and refuses rows that would move a PCN or practice
across its boundary; the national team's may move what nobody belongs to. No I/O."""

from datetime import date

import pytest

from services.enrolment.domain.ods import (
    APPLY,
    EPCN,
    IN_USE,
    LEAVE,
    NOT_YOURS,
    PRACTICE_MAP,
    InUse,
    MovesOfRowsInUse,
    Pcn,
    Practice,
    RowsBeyondYourRegion,
    plan_import,
    verdict,
)
from tests.unit.test_enrolment_ods import epcn, pcn_row, practice_map, practice_row

CAMDEN, EXETER, BRIGHTON = "U10001", "U20002", "U30001"
KNOWN_PCNS = {
    CAMDEN: Pcn(CAMDEN, "CAMDEN PCN", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y56", date(2019, 7, 1), None),
    EXETER: Pcn(EXETER, "EXETER PCN", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y58", date(2019, 7, 1), None),
    BRIGHTON: Pcn(BRIGHTON, "BRIGHTON PCN", "93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y59", date(2019, 7, 1), None),
}
KNOWN_PRACTICES = {
    "F83011": Practice("F83011", CAMDEN, None),
    "L83001": Practice("L83001", EXETER, None),
    "H81001": Practice("H81001", BRIGHTON, None),
}
# The sample rows of the three PCNs and their practices, as Convene holds them.
PCN_ROWS = (pcn_row(CAMDEN, "CAMDEN PCN"), pcn_row(EXETER, "EXETER PCN"), pcn_row(BRIGHTON, "BRIGHTON PCN"))
PRACTICE_ROWS = (
    practice_row("F83011", CAMDEN, "Y56"),
    practice_row("L83001", EXETER, "Y58"),
    practice_row("H81001", BRIGHTON, "Y59"),
)


def plan(pcn_rows=PCN_ROWS, practice_rows=PRACTICE_ROWS, *, scope_region=None, in_use=InUse()):
    return plan_import(
        epcn(*pcn_rows),
        practice_map(*practice_rows),
        KNOWN_PCNS,
        KNOWN_PRACTICES,
        scope_region=scope_region,
        in_use=in_use,
    )


def refused_rows(error) -> list[tuple[str, int, str]]:
    return [(row["field"], row["line"], row["message"].split(":")[0]) for row in error.rows]


def test_the_files_as_convene_holds_them_change_nothing_in_any_scope():
    for scope in (None, "Y56", "Y58"):
        report = plan(scope_region=scope).report()
        assert report["pcns"]["created"] + report["pcns"]["updated"] == 0 and report["practices"]["updated"] == 0


def test_a_regional_import_that_puts_another_regions_pcn_in_its_region_is_refused_naming_every_row():
    with pytest.raises(RowsBeyondYourRegion) as caught:
        plan(
            practice_rows=(PRACTICE_ROWS[0], practice_row("L83001", EXETER, "Y56"), PRACTICE_ROWS[2]),
            scope_region="Y56",
        )
    # The PCN row and its practice's row: both would take Y58's records into Y56.
    assert refused_rows(caught.value) == [(EPCN, 2, "another_region"), (PRACTICE_MAP, 3, "another_region")]
    assert caught.value.status == 403 and caught.value.rule == "rows_beyond_your_region"
    assert (
        caught.value.detail
        == "2 rows would move a PCN or practice between your region and another; nothing was imported."
    )


def test_a_regional_import_that_attaches_another_regions_practice_to_its_own_pcn_is_refused():
    with pytest.raises(RowsBeyondYourRegion) as caught:
        plan(
            practice_rows=(PRACTICE_ROWS[0], practice_row("L83001", CAMDEN, "Y56"), PRACTICE_ROWS[2]),
            scope_region="Y56",
        )
    assert refused_rows(caught.value) == [(PRACTICE_MAP, 3, "another_region")]
    assert "a PCN of region Y58" in caught.value.rows[0]["message"]


def test_a_regional_import_may_not_give_its_own_pcn_or_practice_to_another_region():
    with pytest.raises(RowsBeyondYourRegion) as caught:
        plan(practice_rows=(practice_row("F83011", CAMDEN, "Y58"), *PRACTICE_ROWS[1:]), scope_region="Y56")
    assert refused_rows(caught.value) == [(EPCN, 1, "leaves_region"), (PRACTICE_MAP, 2, "leaves_region")]
    with pytest.raises(RowsBeyondYourRegion) as caught:
        plan(practice_rows=(practice_row("F83011", EXETER, "Y58"), *PRACTICE_ROWS[1:]), scope_region="Y56")
    assert refused_rows(caught.value) == [(PRACTICE_MAP, 2, "leaves_region")]


@pytest.mark.parametrize(
    "changed_row",
    [
        pcn_row(EXETER, "EXETER RENAMED PCN"),
        pcn_row(EXETER, "EXETER PCN").replace('"93C","NHS NORTH', '"15N","NHS NORTH'),
        pcn_row(EXETER, "EXETER PCN", closed="20250331"),
    ],
)
def test_a_regional_import_leaves_another_regions_pcn_as_it_is_whatever_its_row_says(changed_row):
    result = plan((PCN_ROWS[0], changed_row, PCN_ROWS[2]), scope_region="Y56")
    assert result.pcns_updated == [] and result.pcns_created == []
    assert result.out_of_scope == 2 + 2  # Exeter and Brighton, and their practices


def test_a_regional_import_leaves_a_pcn_or_practice_moving_between_two_other_regions_alone():
    moved = (PRACTICE_ROWS[0], practice_row("L83001", BRIGHTON, "Y59"), practice_row("H81001", BRIGHTON, "Y59"))
    assert plan(practice_rows=moved, scope_region="Y56").practices_updated == []
    both_moved = (PRACTICE_ROWS[0], practice_row("L83001", EXETER, "Y60"), PRACTICE_ROWS[2])
    result = plan(practice_rows=both_moved, scope_region="Y56")
    assert (result.pcns_updated, result.practices_updated, result.out_of_scope) == ([], [], 4)


def test_a_regional_import_creates_and_changes_its_own_regions_rows():
    rows = (pcn_row(CAMDEN, "CAMDEN RENAMED PCN"), pcn_row("U10009", "NEW LONDON PCN"), *PCN_ROWS[1:])
    practices = (practice_row("F83011", "U10009", "Y56"), practice_row("F83099", CAMDEN, "Y56"), *PRACTICE_ROWS[1:])
    result = plan(rows, practices, scope_region="Y56")
    assert [p.name for p in result.pcns_updated] == ["CAMDEN RENAMED PCN"] and [
        p.code for p in result.pcns_created
    ] == ["U10009"]
    assert [(p.code, p.pcn_code) for p in result.practices_updated] == [("F83011", "U10009")]
    assert [p.code for p in result.practices_created] == ["F83099"]


def test_the_national_team_moves_a_pcn_and_a_practice_nobody_belongs_to_between_regions():
    result = plan(
        practice_rows=(practice_row("F83011", CAMDEN, "Y58"), practice_row("L83001", BRIGHTON, "Y59"), PRACTICE_ROWS[2])
    )
    assert [(p.code, p.region) for p in result.pcns_updated] == [(CAMDEN, "Y58")]
    assert [(p.code, p.pcn_code) for p in result.practices_updated] == [("L83001", BRIGHTON)]


def test_the_national_team_may_not_move_a_pcn_or_practice_people_belong_to_into_another_region():
    in_use = InUse(pcns=frozenset({CAMDEN}), practices=frozenset({"L83001"}))
    with pytest.raises(MovesOfRowsInUse) as caught:
        plan(
            practice_rows=(
                practice_row("F83011", CAMDEN, "Y58"),
                practice_row("L83001", BRIGHTON, "Y59"),
                PRACTICE_ROWS[2],
            ),
            in_use=in_use,
        )
    assert refused_rows(caught.value) == [(EPCN, 1, "in_use"), (PRACTICE_MAP, 3, "in_use")]
    assert caught.value.status == 409 and caught.value.rule == "move_of_rows_in_use"


def test_the_national_team_renames_and_closes_pcns_people_belong_to_and_moves_them_within_a_region():
    in_use = InUse(pcns=frozenset({CAMDEN, EXETER}), practices=frozenset({"F83011"}))
    rows = (
        pcn_row(CAMDEN, "CAMDEN PCN", closed="20250331"),
        pcn_row(EXETER, "EXETER RENAMED PCN"),
        PCN_ROWS[2],
        pcn_row("U10009", "NEW LONDON PCN"),
    )
    practices = (practice_row("F83011", "U10009", "Y56"), *PRACTICE_ROWS[1:])
    result = plan(rows, practices, in_use=in_use)
    assert len(result.pcns_updated) == 2 and [(p.code, p.pcn_code) for p in result.practices_updated] == [
        ("F83011", "U10009")
    ]


@pytest.mark.parametrize(
    "held_in, goes_to, scope, in_use, action",
    [
        (None, "Y56", "Y56", False, APPLY),
        (None, "Y58", "Y56", False, LEAVE),
        ("Y56", "Y56", "Y56", True, APPLY),
        ("Y56", "Y58", "Y56", False, NOT_YOURS),
        ("Y58", "Y56", "Y56", False, NOT_YOURS),
        ("Y58", "Y58", "Y56", False, LEAVE),
        ("Y58", "Y59", "Y56", False, LEAVE),
        ("Y58", "Y59", None, False, APPLY),
        ("Y58", "Y59", None, True, IN_USE),
        ("Y58", "Y58", None, True, APPLY),
        (None, "Y58", None, False, APPLY),
    ],
)
def test_the_verdict_on_one_row_depends_on_where_it_is_where_it_goes_and_who_imports(
    held_in, goes_to, scope, in_use, action
):
    assert verdict("PCN", held_in, goes_to, scope_region=scope, in_use=in_use)[0] == action
