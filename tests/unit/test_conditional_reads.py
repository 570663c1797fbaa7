"""If-None-Match as RFC 9110 §13.1.2 reads it: a list of entity-tags or "*", compared weakly."""

import pytest

from shared.versions import NotModified, etag_matches, unless_held


@pytest.mark.parametrize(
    "held",
    ['W/"7"', '"7"', ' W/"7" ', '"6", W/"7"', 'W/"6",W/"7","8"', "*", " * ", '"a,b", "7"'],
)
def test_a_list_naming_the_current_tag_or_a_star_matches(held):
    assert etag_matches(held, 'W/"7"') and etag_matches(held, '"7"')


@pytest.mark.parametrize("held", [None, "", 'W/"6"', '"70"', '"7', "7", 'W/"6", "8"', '"a,7"', "**"])
def test_anything_else_does_not(held):
    assert not etag_matches(held, 'W/"7"')


def test_weak_comparison_ignores_the_weak_prefix_on_either_side():
    assert etag_matches('W/"v.1"', '"v.1"') and etag_matches('"v.1"', 'W/"v.1"')


def test_unless_held_raises_not_modified_with_the_current_tag_only_on_a_match():
    unless_held('"6"', 'W/"7"')
    unless_held(None, 'W/"7"')
    with pytest.raises(NotModified) as held:
        unless_held('"7"', 'W/"7"')
    assert held.value.etag == 'W/"7"'


def test_a_conditional_read_documents_if_none_match_its_etag_and_304():
    from services.scheduling.api.rosters import rosters_api
    from shared.openapi import build_spec

    spec = build_spec("scheduling", "1", "", rosters_api.endpoints)
    operation = spec["paths"]["/v1/offers/{offer_id}/roster"]["get"]
    assert "If-None-Match" in [p["name"] for p in operation["parameters"] if p["in"] == "header"]
    assert "ETag" in operation["responses"]["200"]["headers"] and "ETag" in operation["responses"]["304"]["headers"]
    assert "content" not in operation["responses"]["304"]


def test_only_a_get_may_be_conditional():
    from shared.api import Api

    with pytest.raises(ValueError):
        Api("t", __name__).post("/v1/things", summary="", roles=(), conditional=True)
