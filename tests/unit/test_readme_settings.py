"""The README's configuration table is the one the settings objects generate."""

from services.cli import README_END, README_START, settings_table
from shared.config import REPO_ROOT


def test_the_readme_lists_every_setting_with_its_default():
    text = (REPO_ROOT / "README.md").read_text()
    documented = text[text.index(README_START) + len(README_START) : text.index(README_END)].strip()
    assert documented == settings_table().strip(), "run `make settings` to regenerate the README's table"


def test_the_readme_opens_with_the_two_commands():
    lines = [line for line in (REPO_ROOT / "README.md").read_text().splitlines() if line.startswith("make ")]
    assert lines[0].startswith("make up") and lines[1].startswith("make test")
