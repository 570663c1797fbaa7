"""Where the console sends someone after signing in: only to a path on the console itself."""

import pytest

from services.console.auth import is_local_path


@pytest.mark.parametrize("target", ["/", "/offers", "/offers/new?x=1", "/offers/abc-123"])
def test_a_path_on_the_console_is_where_sign_in_returns_to(target):
    assert is_local_path(target)


@pytest.mark.parametrize(
    "target",
    [None, "", "offers", "https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/x"],
)
def test_another_site_or_a_path_a_browser_could_read_as_one_is_never_where_sign_in_returns_to(target):
    assert not is_local_path(target)
