"""The insight's charts: named and described for screen readers, a withheld figure drawn as
words and never as a bar, the same bytes for the same data, and a PNG with something drawn."""

import io
import re

from PIL import Image

from shared.charts import WITHHELD, Bar, bar_chart, line_chart, png, svg

BARS = [Bar("Overall", 4.2, 4.0, 4.4), Bar("Usefulness", None), Bar("Apply", 3.7, 3.5, 3.9)]


def chart():
    return bar_chart(BARS, axis_label="Mean rating (1-5)", limits=(1, 5), reference=4.0)


def test_svg_is_an_image_named_and_described_by_its_own_ids():
    text = svg(chart(), "Feedback by measure", "Means with their 95 % intervals", "feedback")
    head = text[: text.index(">") + 1]
    assert head.startswith("<svg ") and 'role="img"' in head
    assert 'aria-labelledby="feedback-title feedback-desc"' in head
    assert '<title id="feedback-title">Feedback by measure</title>' in text
    assert '<desc id="feedback-desc">Means with their 95 % intervals</desc>' in text
    assert not re.search(r' (width|height)="', head), "the page decides the chart's size"
    assert "<metadata>" not in text


def test_a_withheld_bar_is_words_and_the_shown_ones_are_text_too():
    text = svg(chart(), "t", "d", "k")
    assert WITHHELD in text
    for label in ("Overall", "Usefulness", "Apply", "National"):
        assert label in text  # text stays text (svg.fonttype none), so it scales and reads out


def test_a_withheld_bar_draws_one_bar_fewer():
    shown = bar_chart([Bar("a", 3.0), Bar("b", 4.0)], axis_label="x", limits=(1, 5))
    withheld = bar_chart([Bar("a", 3.0), Bar("b", None)], axis_label="x", limits=(1, 5))
    assert len(shown.axes[0].patches) == 2
    assert len(withheld.axes[0].patches) == 1


def test_the_same_data_gives_the_same_svg():
    assert svg(chart(), "t", "d", "k") == svg(chart(), "t", "d", "k")


def test_png_has_something_drawn_on_it():
    image = Image.open(io.BytesIO(png(line_chart(["2026-Q1", "2026-Q2"], {"a": [0.4, 0.6]}, axis_label="share"))))
    low, high = image.convert("L").getextrema()
    assert image.size[0] > 1000 and low < 100 and high == 255


def test_a_label_with_dollar_signs_is_drawn_as_written():
    text = svg(bar_chart([Bar("Budget $\\frac{ 2026 $ set", 3.0)], axis_label="x", limits=(1, 5)), "t", "d", "k")
    assert "Budget $\\frac{ 2026 $ set" in text
    png(line_chart(["Q$1"], {"cost $x$": [0.5]}, axis_label="share"))
