"""Unit tests of the demo data generator (services/enrolment/demo.py): the same seed gives the
same data, and the people are many, varied and obviously synthetic. No I/O."""

from collections import Counter

from services.enrolment.demo import EMAIL_DOMAIN, SURNAMES, generate
from services.enrolment.domain.ods import plan_import
from services.enrolment.domain.reference import REGION_CODES
from shared.contracts.common import LEADERSHIP_EXPERIENCE, PARTICIPANT_ROLES


def test_the_same_seed_generates_the_same_data_and_another_seed_other_people():
    assert generate() == generate()
    assert generate(seed=1).people != generate().people


def test_the_demo_covers_every_region_with_dozens_of_pcns_and_their_practices():
    data = generate()
    plan = plan_import(data.epcn_csv, data.practice_map_csv, {}, {})
    assert {p.region for p in plan.pcns_created} == REGION_CODES
    assert len(plan.pcns_created) >= 24 and len(plan.practices_created) >= 2 * len(plan.pcns_created)
    assert plan.skipped == []


def test_a_few_hundred_people_of_every_role_and_every_kind_of_leadership_experience():
    people = generate().people
    assert 200 <= len(people) <= 500
    assert set(Counter(p.role for p in people)) == set(PARTICIPANT_ROLES)
    assert set(Counter(p.leadership_experience for p in people)) == set(LEADERSHIP_EXPERIENCE)


def test_every_person_is_obviously_synthetic_and_has_an_address_of_their_own():
    people = generate().people
    assert all(p.name.split()[-1] in SURNAMES for p in people)
    assert all(p.email.endswith("@" + EMAIL_DOMAIN) and EMAIL_DOMAIN.endswith(".invalid") for p in people)
    assert len({p.email for p in people}) == len(people)


def test_every_pcn_has_a_clinical_director_and_people_enough_for_a_team():
    data = generate()
    for codes in data.pcns.values():
        staff = Counter(p.pcn_code for p in data.people)
        directors = {p.pcn_code for p in data.people if p.role == "clinical_director"}
        assert set(codes) <= directors and staff[codes[0]] >= 3
