"""ODS files that are not CSV at all (found by fuzzing the import endpoint): refused as an
invalid file, never an unhandled error."""

import pytest

from services.enrolment.domain.ods import EPCN, PRACTICE_MAP, InvalidOdsFile, parse_epcn, plan_import

HEADER = "PRACTICE_CODE,PCN_CODE,COMM_REGION_CODE\n"


def test_a_lone_carriage_return_ends_a_line_instead_of_breaking_the_reader():
    pcns, problems = parse_epcn("U10001,Camden,Q1,ICB,20200101,\rU10002,Lewisham,Q2,ICB,20200101,\r")
    assert [pcn.code for _, pcn in pcns] == ["U10001", "U10002"] and problems == []


@pytest.mark.parametrize("file", [EPCN, PRACTICE_MAP])
def test_a_field_beyond_the_csv_readers_limit_is_an_invalid_file_naming_the_file(file):
    huge = "x" * 200_000
    epcn, practice_map = (f"U10001,{huge}\n", HEADER) if file == EPCN else ("", HEADER + f"F83011,{huge},Y56\n")
    with pytest.raises(InvalidOdsFile) as refused:
        plan_import(epcn, practice_map, {}, {})
    assert [row["field"] for row in refused.value.rows] == [file]
    assert "not readable as CSV" in refused.value.rows[0]["message"] and huge not in refused.value.rows[0]["message"]
