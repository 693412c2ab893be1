"""Small server-rendered inline SVG charts: no JavaScript, strict-CSP friendly, escaped.

Labels are user text (system names, team names), so every string goes through format_html /
format_html_join and is escaped. Styling uses SVG presentation attributes and classes only,
never style attributes, so a strict Content-Security-Policy needs no 'unsafe-inline'.
Every chart has role="img" and a <title>; each mark has its own <title> tooltip. Because
role="img" hides the marks from screen readers, pair each chart with data_table().
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

NO_DATA = "no data"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
_FONT = 12
_ids = itertools.count(1)  # unique element ids for aria-labelledby within a page

ValueFormat = Callable[[Any], str]


def _join(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def _num(x: float) -> str:
    """Coordinates rounded to 0.1 px: keeps the markup short and stable for tests."""
    return f"{x:.1f}".removesuffix(".0")


def _truncate(label: object, limit: int) -> str:
    """Shorten long labels for the axis; the full text stays in the tooltip and table."""
    text = str(label)
    return text if len(text) <= limit else text[: max(1, limit - 3)] + "..."


def _safe_href(url: str | None) -> str | None:
    """Drop javascript:/data: and other schemes; escaping alone does not neutralise those."""
    if not url:
        return None
    try:
        scheme = urlsplit(str(url)).scheme.lower()
    except ValueError:
        return None
    return str(url) if scheme in ("", "http", "https") else None


def _svg(kind: str, title: str, width: float, height: float, body: SafeString) -> SafeString:
    chart_id = f"chart-{next(_ids)}"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{}" role="img" '
        'aria-labelledby="{}" viewBox="0 0 {} {}" width="{}" height="{}" font-size="{}">'
        '<title id="{}">{}</title>{}</svg>',
        kind,
        chart_id,
        _num(width),
        _num(height),
        _num(width),
        _num(height),
        _FONT,
        chart_id,
        title,
        body,
    )


def _no_data(kind: str, title: str, width: float, height: float) -> SafeString:
    body = format_html(
        '<text x="{}" y="{}" text-anchor="middle" class="chart-empty">{}</text>',
        _num(width / 2),
        _num(height / 2),
        NO_DATA,
    )
    return _svg(kind, title, width, height, body)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    value_format: ValueFormat = str,
    links: Sequence[str | None] | None = None,
    width: float = 600,
    height: float | None = None,
) -> SafeString:
    """Horizontal bars (long labels stay readable); height grows with the rows by default.

    Zero values are data, so an all-zero chart still shows its rows; only no rows is "no data".
    Negative values are drawn as empty bars. links[i], if given, wraps row i in <a href>.
    """
    if len(labels) != len(values) or (links is not None and len(links) != len(labels)):
        raise ValueError("labels, values and links must have the same length")
    pad = 8
    if height is None:
        height = 2 * pad + 24 * max(1, len(labels))
    if not labels:
        return _no_data("bar", title, width, height)
    label_width, value_width = width * 0.3, 64
    plot_width = max(1.0, width - label_width - value_width)
    row = (height - 2 * pad) / len(labels)
    top = max(0.0, *values)
    hrefs = links if links is not None else [None] * len(labels)
    parts = []
    for i, (label, value, link) in enumerate(zip(labels, values, hrefs, strict=True)):
        y = pad + i * row
        bar_width = plot_width * max(0.0, value) / top if top > 0 else 0.0
        shown = value_format(value)
        mark = format_html(
            '<g class="bar"><title>{}: {}</title>'
            '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
            'class="chart-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" class="bar-rect"/>'
            '<text x="{}" y="{}" dominant-baseline="middle" class="chart-value">{}</text></g>',
            label,
            shown,
            _num(label_width - 6),
            _num(y + row / 2),
            _truncate(label, int(label_width / 7)),
            _num(label_width),
            _num(y + row * 0.15),
            _num(bar_width),
            _num(row * 0.7),
            PALETTE[0],
            _num(label_width + bar_width + 4),
            _num(y + row / 2),
            shown,
        )
        href = _safe_href(link)
        parts.append(format_html('<a href="{}">{}</a>', href, mark) if href else mark)
    return _svg("bar", title, width, height, _join(parts))


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    value_format: ValueFormat = str,
    width: float = 600,
    height: float = 240,
    axes: bool = True,
) -> SafeString:
    """One or more lines over shared x labels; None values leave a gap instead of a fake 0.

    The y axis always includes 0 so small changes are not visually exaggerated.
    """
    if any(len(values) != len(labels) for values in series.values()):
        raise ValueError("every series must have one value per label")
    present = [v for values in series.values() for v in values if v is not None]
    if not labels or not present:
        return _no_data("line", title, width, height)
    lo, hi = min(0, *present), max(0, *present)
    if hi == lo:
        hi = lo + 1  # all zero: flat line on the baseline, no division by zero
    legend = 18 if axes and len(series) > 1 else 0
    left, right, top, bottom = (48, 12, 10 + legend, 26) if axes else (3, 3, 3, 3)
    plot_w, plot_h = max(1.0, width - left - right), max(1.0, height - top - bottom)
    count = len(labels)

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else i * plot_w / (count - 1))

    def y_at(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    parts = []
    if axes:
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888" class="chart-axis"/>',
                _num(left),
                _num(y_at(0)),
                _num(left + plot_w),
                _num(y_at(0)),
            )
        )
        for v in sorted({lo, 0, hi}):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
                    'class="chart-tick">{}</text>',
                    _num(left - 6),
                    _num(y_at(v)),
                    value_format(v),
                )
            )
        step = math.ceil(count / 8)
        for i in range(0, count, step):
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="chart-label">{}</text>',
                    _num(x_at(i)),
                    _num(height - 8),
                    _truncate(labels[i], 14),
                )
            )
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        if legend:
            parts.append(
                format_html(
                    '<rect x="{}" y="4" width="10" height="10" fill="{}"/>'
                    '<text x="{}" y="13" class="chart-legend">{}</text>',
                    _num(left + n * 120),
                    colour,
                    _num(left + n * 120 + 14),
                    _truncate(name, 16),
                )
            )
        segment: list[str] = []
        segments = [segment]
        for i, v in enumerate(values):
            if v is None:
                segment = []
                segments.append(segment)
                continue
            segment.append(f"{_num(x_at(i))},{_num(y_at(v))}")
            tip = (
                format_html("{}, {}: {}", name, labels[i], value_format(v))
                if len(series) > 1
                else format_html("{}: {}", labels[i], value_format(v))
            )
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="{}" fill="{}" class="point">'
                    "<title>{}</title></circle>",
                    _num(x_at(i)),
                    _num(y_at(v)),
                    3 if axes else 1.5,
                    colour,
                    tip,
                )
            )
        for points in segments:
            if len(points) > 1:
                parts.insert(
                    0,
                    format_html(
                        '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" '
                        'class="series"/>',
                        " ".join(points),
                        colour,
                        2 if axes else 1.5,
                    ),
                )
    return _svg("line", title, width, height, _join(parts))


def sparkline(
    values: Sequence[float | None],
    title: str,
    *,
    labels: Sequence[str] | None = None,
    value_format: ValueFormat = str,
    width: float = 120,
    height: float = 32,
) -> SafeString:
    """A tiny axis-free line for tables; pass labels (e.g. week starts) for useful tooltips."""
    if labels is None:
        labels = [str(i + 1) for i in range(len(values))]
    return line_chart(
        title=title,
        labels=labels,
        series={title: values},
        value_format=value_format,
        width=width,
        height=height,
        axes=False,
    )


def histogram(
    *,
    title: str,
    bins: Sequence[tuple[str, int]],
    width: float = 600,
    height: float = 220,
) -> SafeString:
    """Adjacent vertical bars for pre-binned counts (e.g. stats.duration_summary bins)."""
    total = sum(count for _, count in bins)
    if not bins or total <= 0:
        return _no_data("histogram", title, width, height)
    left, right, top, bottom = 12, 12, 18, 64
    plot_w, plot_h = max(1.0, width - left - right), max(1.0, height - top - bottom)
    column = plot_w / len(bins)
    peak = max(count for _, count in bins)
    parts = []
    for i, (label, count) in enumerate(bins):
        x = left + i * column
        bar_h = plot_h * max(0, count) / peak
        base = top + plot_h
        parts.append(
            format_html(
                '<g class="bar"><title>{}: {}</title>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" '
                'class="bar-rect"/>'
                '<text x="{}" y="{}" text-anchor="middle" class="chart-value">{}</text>'
                '<text x="{}" y="{}" text-anchor="end" transform="rotate(-40 {} {})" '
                'class="chart-label">{}</text></g>',
                label,
                count,
                _num(x),
                _num(base - bar_h),
                _num(column),
                _num(bar_h),
                PALETTE[0],
                _num(x + column / 2),
                _num(base - bar_h - 4),
                count if count else "",
                _num(x + column / 2),
                _num(base + 14),
                _num(x + column / 2),
                _num(base + 14),
                _truncate(label, 16),
            )
        )
    return _svg("histogram", title, width, height, _join(parts))


def link(value: object, url: str | None) -> SafeString:
    """A table cell: value linked to url (only http(s) or relative URLs), else plain text."""
    href = _safe_href(url)
    if href is None:
        return format_html("{}", value)
    return format_html('<a href="{}">{}</a>', href, value)


def data_table(
    *, caption: str, headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> SafeString:
    """The chart's data as an accessible HTML table; cells are escaped, None shows as "n/a".

    Cells that are already SafeString (e.g. a format_html link) are kept as they are.
    """
    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headers))
    body = []
    for row in rows:
        cells = ["n/a" if cell is None else cell for cell in row]
        body.append(
            format_html(
                "<tr>{}{}</tr>",
                format_html('<th scope="row">{}</th>', cells[0]) if cells else "",
                format_html_join("", "<td>{}</td>", ((cell,) for cell in cells[1:])),
            )
        )
    if not body:
        body.append(format_html('<tr><td colspan="{}">{}</td></tr>', max(1, len(headers)), NO_DATA))
    return format_html(
        '<table class="data-table"><caption>{}</caption><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        caption,
        head,
        _join(body),
    )
