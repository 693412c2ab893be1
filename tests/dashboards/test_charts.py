"""Tests for dashboards.charts: escaping, accessibility hooks and empty data, no database."""

from __future__ import annotations

import re

from django.utils.safestring import SafeString
from hypothesis import given
from hypothesis import strategies as st

from dashboards.charts import (
    NO_DATA,
    bar_chart,
    data_table,
    histogram,
    line_chart,
    sparkline,
)

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _tooltips(svg: str) -> list[str]:
    """Every <title> text except the chart's own (the one with an id)."""
    return re.findall(r"<title>(.*?)</title>", svg)


def _assert_labelled_by_title(svg: str, title: str) -> None:
    chart_id = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
    assert f'<title id="{chart_id}">{title}</title>' in svg
    assert 'role="img"' in svg


def test_bar_chart_escapes_user_labels_and_title():
    svg = bar_chart(title=EVIL, labels=[EVIL, "db"], values=[3, 1])
    assert isinstance(svg, SafeString)
    assert "<script" not in svg
    assert ESCAPED in svg


def test_bar_chart_has_a_tooltip_with_label_and_value_per_bar():
    svg = bar_chart(title="Incidents by system", labels=["api", "db"], values=[3, 1])
    _assert_labelled_by_title(svg, "Incidents by system")
    assert _tooltips(svg) == ["api: 3", "db: 1"]
    assert svg.count("<rect") == 2


def test_bar_chart_formats_values_in_tooltips():
    svg = bar_chart(title="Share", labels=["api"], values=[0.25], value_format=lambda v: f"{v:.0%}")
    assert _tooltips(svg) == ["api: 25%"]


def test_bar_chart_wraps_bars_in_escaped_links_and_drops_script_urls():
    svg = bar_chart(
        title="t",
        labels=["a", "b", "c"],
        values=[1, 2, 3],
        links=["/incidents/?system=a&sev=1", "javascript:alert(1)", None],
    )
    assert '<a href="/incidents/?system=a&amp;sev=1">' in svg
    assert "javascript:" not in svg
    assert svg.count("<a href") == 1


def test_bar_chart_with_all_zero_values_still_shows_each_row():
    svg = bar_chart(title="Quiet week", labels=["api", "db"], values=[0, 0])
    assert _tooltips(svg) == ["api: 0", "db: 0"]
    assert 'width="0"' in svg


def test_bar_chart_without_data_says_no_data():
    svg = bar_chart(title="Nothing", labels=[], values=[])
    _assert_labelled_by_title(svg, "Nothing")
    assert NO_DATA in svg
    assert "<rect" not in svg


def test_charts_contain_no_scripts_event_handlers_or_style_attributes():
    svgs = [
        bar_chart(title="t", labels=["a"], values=[1], links=["/a"]),
        line_chart(title="t", labels=["w1", "w2"], series={"a": [1, 2], "b": [2, None]}),
        histogram(title="t", bins=[("< 1 min", 2), ("1-2 min", 1)]),
        sparkline([1, 2, 3], "t"),
    ]
    for svg in svgs:
        assert "<script" not in svg
        assert not re.search(r"\son\w+=", svg)
        assert "style=" not in svg


def test_line_chart_escapes_series_names_and_labels():
    svg = line_chart(title="Weekly", labels=[EVIL, "w2"], series={EVIL: [1, 2], "b": [0, 1]})
    assert "<script" not in svg
    assert f"{ESCAPED}, {ESCAPED}: 1" in _tooltips(svg)


def test_line_chart_has_a_tooltip_per_point_and_skips_missing_values():
    svg = line_chart(title="Weekly", labels=["w1", "w2", "w3"], series={"MTTR": [5, None, 7]})
    _assert_labelled_by_title(svg, "Weekly")
    assert _tooltips(svg) == ["w1: 5", "w3: 7"]
    assert svg.count("<circle") == 2


def test_line_chart_with_all_zero_values_draws_a_flat_line():
    svg = line_chart(title="Flat", labels=["w1", "w2"], series={"a": [0, 0]})
    assert "<polyline" in svg
    assert NO_DATA not in svg


def test_line_chart_without_values_says_no_data():
    assert NO_DATA in line_chart(title="t", labels=[], series={})
    assert NO_DATA in line_chart(title="t", labels=["w1"], series={"a": [None]})


def test_sparkline_is_a_small_line_chart_with_tooltips():
    svg = sparkline([3, 4], "Trend", labels=["Mon", "Tue"])
    _assert_labelled_by_title(svg, "Trend")
    assert _tooltips(svg) == ["Mon: 3", "Tue: 4"]
    assert NO_DATA in sparkline([], "Trend")


def test_histogram_has_a_tooltip_per_bin_and_escapes_labels():
    svg = histogram(title="Time to resolve", bins=[("< 1 min", 4), (EVIL, 0)])
    _assert_labelled_by_title(svg, "Time to resolve")
    assert _tooltips(svg) == ["&lt; 1 min: 4", f"{ESCAPED}: 0"]
    assert "<script" not in svg


def test_histogram_without_observations_says_no_data():
    assert NO_DATA in histogram(title="t", bins=[])
    assert NO_DATA in histogram(title="t", bins=[("a", 0), ("b", 0)])


def test_each_chart_gets_its_own_title_id():
    first = bar_chart(title="a", labels=["x"], values=[1])
    second = bar_chart(title="a", labels=["x"], values=[1])
    ids = [re.search(r'aria-labelledby="([^"]+)"', svg).group(1) for svg in (first, second)]
    assert ids[0] != ids[1]


def test_data_table_escapes_cells_and_marks_headers():
    table = data_table(caption=EVIL, headers=["System", "Count"], rows=[[EVIL, 3], ["db", None]])
    assert "<script" not in table
    assert f"<caption>{ESCAPED}</caption>" in table
    assert '<th scope="col">System</th>' in table
    assert f'<th scope="row">{ESCAPED}</th><td>3</td>' in table
    assert "<td>n/a</td>" in table


def test_data_table_without_rows_says_no_data():
    table = data_table(caption="c", headers=["a", "b"], rows=[])
    assert f'<td colspan="2">{NO_DATA}</td>' in table


@given(
    st.lists(
        st.tuples(st.text(max_size=30), st.integers(min_value=0, max_value=10**6)),
        max_size=20,
    )
)
def test_bar_chart_never_emits_raw_markup_from_labels(rows):
    labels = [label for label, _ in rows]
    values = [value for _, value in rows]
    svg = bar_chart(title="t", labels=labels, values=values)
    text_nodes = re.findall(r">([^<]*)<", svg)
    assert all("<" not in node and ">" not in node for node in text_nodes)
    assert svg.count("<svg") == 1
    assert svg.count("</svg>") == 1
