"""The differencing search used against the published figures must itself be able to fail.
Pure Python: figures made up here, with the leaks the disclosure policy exists to stop."""

from tests.disclosure_search import Disclosure, Figure, search


def figure(name, kind, population, **counts):
    return Figure(name, kind, frozenset(population), counts or None)


def test_a_small_count_shown_on_its_own_is_found():
    assert search([figure("session", "session", {"s1"}, respondents=3)]) == [Disclosure("session", "respondents", 3)]


def test_a_region_shown_beside_a_national_total_with_one_region_withheld_is_found():
    figures = [
        figure("national", "national", {"a", "b", "c"}, respondents=20),
        figure("A", "region", {"a"}, respondents=9),
        figure("B", "region", {"b"}, respondents=8),
        figure("C", "region", {"c"}),  # withheld, but national - A - B = 3
    ]
    assert Disclosure("national - shown regions", "respondents", 3) in search(figures)


def test_two_small_withheld_cells_under_a_shown_total_are_found_by_subtraction():
    figures = [
        figure("region", "region", {"x", "y", "z"}, respondents=15),
        figure("x", "offer", {"x"}, respondents=13),
        figure("y", "offer", {"y"}),
        figure("z", "offer", {"z"}),
    ]
    assert Disclosure("region - x", "respondents", 2) in search(figures)


def test_a_distribution_bucket_recovered_by_subtraction_is_found():
    figures = [
        figure("national", "national", {"a", "b"}, **{"overall=1": 7}),
        figure("A", "region", {"a"}, **{"overall=1": 5}),
    ]
    assert search(figures) == [Disclosure("national - A", "overall=1", 2)]


def test_the_people_in_neither_of_two_filters_are_found():
    figures = [
        figure("all", "national", {"r1t1", "r1t2", "r2t1", "r2t2"}, respondents=40),
        figure("r1", "region", {"r1t1", "r1t2"}, respondents=20),
        figure("t1", "offer_type", {"r1t1", "r2t1"}, respondents=25),
        figure("r1t1", "offer_type+region", {"r1t1"}, respondents=8),
    ]
    found = search(figures)
    assert Disclosure("all - (r1 or t1)", "respondents", 3) in found


def test_published_multiples_of_five_with_withheld_small_cells_give_nothing_away():
    figures = [
        figure("national", "national", {"a", "b", "c"}, respondents=20, **{"overall=1": 5}),
        figure("A", "region", {"a"}, respondents=10, **{"overall=1": 0}),
        figure("B", "region", {"b"}),
        figure("C", "region", {"c"}),
    ]
    assert search(figures) == []
