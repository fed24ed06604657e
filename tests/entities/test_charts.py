"""search.charts draws valid, accessible, escaped SVG (parsed as XML here)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from search.charts import Series, line_chart, nice_ticks, swatch

SVG = "{http://www.w3.org/2000/svg}"


def chart(**overrides) -> ET.Element:
    args = dict(
        chart_id="c1",
        title="Articles per year",
        description="Two searches, 2016 to 2019.",
        periods=["2016", "2017", "2018", "2019"],
        series=[Series("city brain", [1, 4, None, 9]), Series("digital twin", [0, 2, 3, 5])],
        x_label="Year",
        y_label="Articles",
    )
    args.update(overrides)
    return ET.fromstring(line_chart(**args))


def test_chart_names_itself_for_assistive_technology():
    svg = chart()
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == "Articles per year"
    assert svg.find(f"{SVG}title").get("id") == "c1-title"
    assert svg.find(f"{SVG}desc").text == "Two searches, 2016 to 2019."
    # Scales to its container: a viewBox and no fixed width.
    assert svg.get("viewBox") == "0 0 720 300" and svg.get("width") is None
    assert "style" not in line_chart(
        chart_id="c", title="t", description="d", periods=["1"], series=[], x_label="x", y_label="y"
    )


def test_axes_ticks_and_points():
    svg = chart()
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Year" in texts and "Articles" in texts
    assert {"2016", "2017", "2018", "2019"} <= set(texts)
    assert {"0", "2", "4", "6", "8", "10"} <= set(texts)  # nice ticks up to 9
    tooltips = [t.text for c in svg.iter(f"{SVG}circle") for t in c.iter(f"{SVG}title")]
    assert "city brain, 2019: 9" in tooltips and "digital twin, 2016: 0" in tooltips
    # The missing 2018 value breaks the first line in two runs (a lone point draws no line).
    lines = [g for g in svg.iter(f"{SVG}g") if "series" in (g.get("class") or "")]
    assert len(lines) == 2
    assert len(lines[0].findall(f"{SVG}polyline")) == 1
    assert len(lines[0].findall(f"{SVG}circle")) == 3


def test_text_is_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    svg = chart(title=hostile, description=hostile, series=[Series(hostile, [1, 2, 3, 4])])
    assert svg.find(f"{SVG}title").text == hostile
    assert not list(svg.iter("script")) and not list(svg.iter(f"{SVG}script"))
    raw = line_chart(
        chart_id='x" onload="alert(1)',
        title=hostile,
        description="d",
        periods=["<b>"],
        series=[Series(hostile, [1])],
        x_label="<i>",
        y_label="&",
    )
    assert "<script>" not in raw and 'onload="' not in raw and "<b>" not in raw
    ET.fromstring(raw)


def test_many_periods_thin_the_labels_and_drop_the_dots():
    periods = [f"{y}-{m:02d}" for y in range(2010, 2020) for m in range(1, 13)]
    svg = chart(periods=periods, series=[Series("s", list(range(len(periods))))])
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.text in periods]
    assert 2 <= len(labels) <= 11
    assert not list(svg.iter(f"{SVG}circle"))


def test_empty_and_zero_series_still_draw():
    for series in ([], [Series("none", [0, 0, 0, 0])], [Series("gaps", [None] * 4)]):
        svg = chart(series=series)
        assert svg.find(f"{SVG}title") is not None
    chart(periods=[], series=[])


def test_nice_ticks():
    assert nice_ticks(9) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.37) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(2, integer=True) == [0, 1, 2]
    assert nice_ticks(0.37, integer=True) == [0, 1]
    assert nice_ticks(23, integer=True) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(float("nan")) == [0, 1]


def test_swatch_is_svg():
    el = ET.fromstring(swatch(1))
    assert el.get("aria-hidden") == "true"
    assert el.find(f"{SVG}line") is None  # no namespace declared: it sits inside HTML
    assert el.find("line").get("stroke-dasharray")
