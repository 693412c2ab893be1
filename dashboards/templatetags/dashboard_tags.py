"""Template helpers for the dashboards: links to the lists that count a number, verdicts with
their p-value on hover, and honest number formatting (intervals, shares, durations)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from dashboards.links import list_url
from dashboards.periods import Period
from dashboards.selectors import MORE_IS_GOOD, SIGNAL_LABELS
from dashboards.stats import FEWER, MORE
from incidents.formatting import format_duration

register = template.Library()


@register.simple_tag
def listurl(view_name, period, filters, **params):
    """URL of the list that counts a number: period and filters, plus `params`.

    A param set to "" removes the filter of the same name (e.g. system="" on a team view).
    Empty string when the list page does not exist (yet): the number then shows unlinked.
    """
    return list_url(view_name, period=period, filters=filters, **params) or ""


@register.simple_tag
def linked(value, view_name, period, filters, **params):
    """`value` as a link to the list that counts it (plain text if that list does not exist)."""
    url = list_url(view_name, period=period, filters=filters, **params)
    if not url:
        return format_html("{}", value)
    return format_html('<a href="{}" class="count-link">{}</a>', url, value)


@register.simple_tag
def month_period(month):
    """The calendar month starting at `month` (a date), as the period its links count."""
    return Period.month(month.year, month.month)


_TESTS = {
    "count": "conditional binomial rate-ratio test",
    "per_change": "conditional binomial rate-ratio test, deployments as the exposure",
    "share": "two-proportion z-test",
}


@register.simple_tag
def verdict(comparison, test="count", more_is="bad"):
    """The plain verdict (▲ more, ▼ fewer), coloured by what more means for the measure
    (`more_is`: "bad" for incidents, surprises, difficulties, ownership gaps and themes; "good"
    for near-miss reports and survey learning, see selectors.MORE_IS_GOOD), with its p-value
    and test in a <details>: shown on hover (title), on a tap or from the keyboard."""
    marker = {MORE: "\u25b2 ", FEWER: "\u25bc "}.get(comparison.verdict, "")
    direction = {MORE: "more", FEWER: "fewer"}.get(comparison.verdict, "same")
    if direction == "same":
        judgement = "same"
    else:
        judgement = "better" if (direction == "more") == (more_is == "good") else "worse"
    detail = f"p = {pvalue(comparison.p_value)} ({_TESTS.get(test, test)}, two-sided, 95%)"
    return format_html(
        '<details class="verdict verdict-{} verdict-{}"><summary title="{}">{}{}{}</summary>'
        '<span class="verdict-p">{}</span></details>',
        direction,
        judgement,
        detail,
        marker,
        comparison.verdict,
        format_html('<span class="visually-hidden">, {}</span>', judgement)
        if judgement != "same"
        else "",
        detail,
    )


@register.filter
def pvalue(value):
    if value is None:
        return "n/a"
    if value < 0.001:
        return "< 0.001"
    return f"{value:.3f}"


def _number(value, digits=1):
    if value is None:
        return "n/a"
    if abs(value - round(value)) < 1e-9 and abs(value) >= 1:
        return f"{round(value)}"
    return f"{value:.{digits}f}"


@register.filter
def num(value, digits=1):
    return _number(value, int(digits))


@register.filter
def interval(bounds, digits=1):
    """(lower, upper) as "a to b"; an open upper bound shows as "a or more"."""
    if not bounds:
        return "n/a"
    lower, upper = bounds
    if lower is None:
        return "n/a"
    if upper is None:
        return f"{_number(lower, int(digits))} or more"
    return f"{_number(lower, int(digits))} to {_number(upper, int(digits))}"


@register.filter
def pct(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def duration(seconds):
    return format_duration(seconds)


@register.filter
def days(seconds):
    if seconds is None:
        return "n/a"
    return f"{seconds / 86400:.1f}"


@register.filter
def signal_label(name):
    return SIGNAL_LABELS.get(name, name)


@register.filter
def more_is(name):
    """ "good" or "bad": what more of the measure `name` means, for `verdict`."""
    return "good" if name in MORE_IS_GOOD else "bad"
