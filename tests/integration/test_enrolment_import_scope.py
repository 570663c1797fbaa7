"""Who may change which PCNs and practices through an ODS import, on both databases: a region's
administrator changes their own region's rows and nothing that crosses its boundary, the national
team moves what nobody belongs to, the operator's `import-ods` has the national team's rules, and
an import checks and writes in one transaction that nothing else can slip into."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from services.enrolment.store.tables import pcns, practices
from services.enrolment.usecases.reference import import_files
from tests.integration.test_enrolment_bad_input import refused
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
)

REPO = Path(__file__).resolve().parents[2]
KENTISH_TOWN = "F83012"  # Camden's second practice


def in_region(map_csv: str, pcn: str, region: str) -> str:
    """The practice map with every practice of `pcn` (and so the PCN) in `region`."""
    return "".join(
        line.replace(",Y56,", f",{region},").replace(",Y58,", f",{region},") if f",{pcn}," in line else line
        for line in map_csv.splitlines(keepends=True)
    )


def practice_moved(map_csv: str, practice: str, pcn: str, region: str) -> str:
    """The practice map with `practice` in `pcn` of `region`."""
    lines = map_csv.splitlines(keepends=True)
    for n, line in enumerate(lines):
        if line.split(",")[2:3] == [practice]:
            fields = line.split(",")
            fields[5], fields[14] = pcn, region
            lines[n] = ",".join(fields)
    return "".join(lines)


def line_of(map_csv: str, code: str) -> int:
    return next(n for n, line in enumerate(map_csv.splitlines(), start=1) if f",{code}," in line)


def reference_rows(service) -> tuple[list, list]:
    with service.runtime.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(pcns).order_by(pcns.c.code))], [
            tuple(r) for r in conn.execute(select(practices).order_by(practices.c.code))
        ]


def pcn_region(service, code: str) -> str:
    with service.runtime.db.read() as conn:
        return conn.execute(select(pcns.c.region).where(pcns.c.code == code)).scalar_one()


def practice_pcn(service, code: str) -> str:
    with service.runtime.db.read() as conn:
        return conn.execute(select(practices.c.pcn_code).where(practices.c.code == code)).scalar_one()


def imported(service, headers, epcn_csv=EPCN_CSV, map_csv=PRACTICE_MAP_CSV):
    return service.client.post(
        "/v1/reference-data/imports", json={"epcn_csv": epcn_csv, "practice_map_csv": map_csv}, headers=headers
    )


def test_another_regions_administrator_cannot_move_a_london_pcn_and_its_people_into_their_region(enrolment, as_role):
    person = register(enrolment.client, as_role(), pcn=CAMDEN)
    before = reference_rows(enrolment)
    south_west = as_role("regional_admin", SOUTH_WEST)
    taking = in_region(PRACTICE_MAP_CSV, CAMDEN, SOUTH_WEST)
    problem = refused(
        enrolment, lambda: imported(enrolment, south_west, map_csv=taking), 403, "rows_beyond_your_region"
    )
    assert [(e["field"], e["line"], e["message"].split(":")[0]) for e in problem["errors"]] == [
        ("epcn_csv", 1, "another_region"),
        ("practice_map_csv", 2, "another_region"),
        ("practice_map_csv", 3, "another_region"),
    ]
    assert reference_rows(enrolment) == before
    assert enrolment.client.get(f"/v1/participants/{person}", headers=as_role()).status_code == 200
    assert enrolment.client.get(f"/v1/participants/{person}", headers=south_west).status_code == 404


def test_another_regions_administrator_cannot_attach_a_london_practice_to_their_own_pcn(enrolment, as_role):
    before = reference_rows(enrolment)
    attaching = practice_moved(PRACTICE_MAP_CSV, KENTISH_TOWN, EXETER, SOUTH_WEST)
    problem = refused(
        enrolment,
        lambda: imported(enrolment, as_role("regional_admin", SOUTH_WEST), map_csv=attaching),
        403,
        "rows_beyond_your_region",
    )
    assert [(e["field"], e["line"]) for e in problem["errors"]] == [
        ("practice_map_csv", line_of(PRACTICE_MAP_CSV, KENTISH_TOWN))
    ]
    assert reference_rows(enrolment) == before and practice_pcn(enrolment, KENTISH_TOWN) == CAMDEN


def test_a_regional_administrator_cannot_give_their_own_pcn_or_practice_to_another_region(enrolment, as_role):
    before = reference_rows(enrolment)
    refused(
        enrolment,
        lambda: imported(enrolment, as_role(), map_csv=in_region(PRACTICE_MAP_CSV, LEWISHAM, SOUTH_WEST)),
        403,
        "rows_beyond_your_region",
        "epcn_csv",
    )
    giving = practice_moved(PRACTICE_MAP_CSV, KENTISH_TOWN, EXETER, SOUTH_WEST)
    refused(
        enrolment,
        lambda: imported(enrolment, as_role(), map_csv=giving),
        403,
        "rows_beyond_your_region",
        "practice_map_csv",
    )
    assert reference_rows(enrolment) == before


def test_a_regional_import_changes_nothing_of_another_regions_pcn_and_still_applies_its_own_rows(enrolment, as_role):
    changed = EPCN_CSV.replace('"EXETER CITY PCN","15N"', '"EXETER PCN","99X"').replace(
        '"CAMDEN CENTRAL PCN"', '"CAMDEN PCN"'
    )
    closed = changed.replace(
        '"U20001","EAST DORSET PCN","11J","NHS DORSET ICB - 11J","20190701",""',
        '"U20001","EAST DORSET PCN","11J","NHS DORSET ICB - 11J","20190701","20250331"',
    )
    report = imported(enrolment, as_role(), epcn_csv=closed)
    assert report.status_code == 200 and report.json["pcns"]["updated"] == 1
    national = as_role("national", None)
    exeter = enrolment.client.get(f"/v1/pcns/{EXETER}", headers=national).json
    assert (exeter["name"], exeter["sub_icb_code"]) == ("EXETER CITY PCN", "15N")
    assert enrolment.client.get("/v1/pcns/U20001", headers=national).json["closed_on"] is None
    assert enrolment.client.get(f"/v1/pcns/{CAMDEN}", headers=national).json["name"] == "CAMDEN PCN"


def test_the_national_team_moves_a_pcn_nobody_belongs_to_but_not_one_with_participants(enrolment, as_role):
    national = as_role("national", None)
    register(enrolment.client, as_role(), pcn=CAMDEN)
    before = reference_rows(enrolment)
    problem = refused(
        enrolment,
        lambda: imported(enrolment, national, map_csv=in_region(PRACTICE_MAP_CSV, CAMDEN, SOUTH_WEST)),
        409,
        "move_of_rows_in_use",
        "epcn_csv",
    )
    assert problem["errors"][0]["message"].startswith("in_use:")
    assert reference_rows(enrolment) == before
    moved = imported(enrolment, national, map_csv=in_region(PRACTICE_MAP_CSV, LEWISHAM, SOUTH_WEST))
    assert moved.status_code == 200, moved.json
    assert pcn_region(enrolment, LEWISHAM) == SOUTH_WEST


def test_the_operators_import_has_the_national_teams_scope_and_refuses_to_move_a_pcn_people_belong_to(
    enrolment, as_role, tmp_path
):
    register(enrolment.client, as_role(), pcn=CAMDEN)
    (tmp_path / "epcn.csv").write_text(EPCN_CSV)
    (tmp_path / "map.csv").write_text(in_region(PRACTICE_MAP_CSV, CAMDEN, SOUTH_WEST))
    environ = {**os.environ, "DATABASE_URL": str(enrolment.settings.database_url), "LOG_LEVEL": "WARNING"}
    run = subprocess.run(
        [sys.executable, "-m", "services.cli", "import-ods", str(tmp_path / "epcn.csv"), str(tmp_path / "map.csv")],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "epcn_csv line 1: in_use:" in run.stderr and pcn_region(enrolment, CAMDEN) == LONDON
    (tmp_path / "map.csv").write_text(in_region(PRACTICE_MAP_CSV, EXETER, "Y59"))
    run = subprocess.run(
        [sys.executable, "-m", "services.cli", "import-ods", str(tmp_path / "epcn.csv"), str(tmp_path / "map.csv")],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert pcn_region(enrolment, EXETER) == "Y59"  # another region's PCN, moved: the national scope


def test_a_regional_import_waits_for_a_concurrent_import_and_is_checked_against_what_it_wrote(enrolment, as_role):
    """London renames Camden while the national team's import, still open, moves Camden to the
    South West: London's import must see the move and be refused, not write Camden back."""
    holding, release, failures = threading.Event(), threading.Event(), []

    def national_move():
        try:
            with enrolment.runtime.db.transaction() as conn:
                import_files(conn, EPCN_CSV, in_region(PRACTICE_MAP_CSV, CAMDEN, SOUTH_WEST))
                holding.set()
                release.wait(30)
        except Exception as error:  # noqa: BLE001 (reported below: a thread cannot fail the test itself)
            failures.append(error)
            holding.set()

    mover = threading.Thread(target=national_move)
    mover.start()
    assert holding.wait(30)
    answers = []
    renaming = threading.Thread(
        target=lambda: answers.append(
            imported(enrolment, as_role(), epcn_csv=EPCN_CSV.replace("CAMDEN CENTRAL PCN", "CAMDEN PCN"))
        )
    )
    renaming.start()
    time.sleep(1.0)  # long enough for London's import to read and write, were it not made to wait
    release.set()
    mover.join(30)
    renaming.join(60)
    assert failures == []
    assert answers[0].status_code == 403 and answers[0].json["rule"] == "rows_beyond_your_region"
    national = as_role("national", None)
    camden = enrolment.client.get(f"/v1/pcns/{CAMDEN}", headers=national).json
    assert (camden["region"], camden["name"]) == (SOUTH_WEST, "CAMDEN CENTRAL PCN")
