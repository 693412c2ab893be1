"""The dashboard pages through the test client: access, filters, links, empty states."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import resolve, reverse

from dashboards.periods import Period
from tests.factories import (
    DifficultyFactory,
    IncidentFactory,
    NearMissFactory,
    SurpriseFactory,
    SystemFactory,
    TeamFactory,
    ThemeFactory,
)

PAGES = ["dashboards:overview", "dashboards:systems", "dashboards:themes"]
Q3 = "start=2026-07-01&end=2026-10-01"


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def hrefs(response) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', response.content.decode())]


def query_of(href: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


@pytest.fixture
def data(db):
    search = TeamFactory(name="Search")
    indexer = SystemFactory(name="search-indexer", owner_team=search)
    orphan = SystemFactory(name="legacy-cron", owner_team=None)
    incident = IncidentFactory(started_at=at("2026-08-01"), systems=[indexer, orphan])
    SurpriseFactory(incident=incident, system=indexer)
    DifficultyFactory(incident=incident, system=indexer)
    NearMissFactory(occurred_at=at("2026-08-02"), systems=[indexer])
    theme = ThemeFactory(name="Retry storm")
    theme.incidents.add(incident)
    return {"incident": incident, "system": indexer}


@pytest.mark.parametrize("name", [*PAGES, "dashboards:system_detail"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name):
    args = ["search-indexer"] if name == "dashboards:system_detail" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_for_a_reader(client, reader, data, name):
    client.force_login(reader)
    response = client.get(reverse(name), {"start": "2026-07-01", "end": "2026-10-01"})
    assert response.status_code == 200
    assert b"2026-07-01" in response.content or name == "dashboards:themes"


def test_system_page_renders_and_unknown_system_is_404(client, reader, data):
    client.force_login(reader)
    response = client.get(reverse("dashboards:system_detail", args=["search-indexer"]))
    assert response.status_code == 200
    assert data["incident"].reference.encode() in response.content
    missing = client.get(reverse("dashboards:system_detail", args=["nope"]))
    assert missing.status_code == 404


def test_default_period_is_the_last_full_quarter(client, reader, db):
    client.force_login(reader)
    response = client.get(reverse("dashboards:overview"))
    assert response.context["period"] == Period.last_full_quarter()


def test_every_count_link_on_the_overview_leads_to_a_list_with_the_same_parameters(
    client, reader, data
):
    client.force_login(reader)
    response = client.get(f"{reverse('dashboards:overview')}?{Q3}&team=search")
    links = [
        href
        for href in hrefs(response)
        if "start=" in href and resolve(urlsplit(href).path).namespace != "dashboards"
    ]
    assert len(links) > 20, "the overview should link its counts"
    allowed = {("2026-07-01", "2026-10-01"), ("2026-04-01", "2026-07-01")}  # Q3, previous Q2
    allowed |= {  # a month of the 12-month trends
        (month.start_date.isoformat(), month.end_date.isoformat())
        for month in (Period.month(2025 + (m + 9) // 12, (m + 9) % 12 + 1) for m in range(12))
    }
    for href in links:
        assert resolve(urlsplit(href).path).namespace in ("incidents", "reviews"), href
        params = query_of(href)
        assert params["team"] == "search", href
        assert (params["start"], params["end"]) in allowed, href
    surprises = reverse("incidents:surprise_list")
    assert f"{surprises}?start=2026-07-01&end=2026-10-01&team=search" in hrefs(response)
    has_surprise = (
        f"{reverse('incidents:list')}?start=2026-07-01&end=2026-10-01&team=search&has=surprise"
    )
    assert has_surprise in hrefs(response)


def test_the_linked_list_counts_what_the_dashboard_counted(client, reader, data):
    client.force_login(reader)
    response = client.get(f"{reverse('dashboards:overview')}?{Q3}")
    assert response.context["summary"].surprises.current == 1
    url = f"{reverse('incidents:surprise_list')}?start=2026-07-01&end=2026-10-01"
    assert url in hrefs(response)
    listed = client.get(url)
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 1


def test_system_rows_link_each_count_to_the_list_filtered_by_that_system(client, reader, data):
    client.force_login(reader)
    response = client.get(f"{reverse('dashboards:systems')}?{Q3}")
    expected = f"{reverse('incidents:difficulty_list')}?start=2026-07-01&end=2026-10-01&system=search-indexer"
    assert expected in hrefs(response)
    near_misses = f"{reverse('incidents:near_miss_list')}?start=2026-07-01&end=2026-10-01&system=search-indexer"
    assert near_misses in hrefs(response)


def test_systems_table_sorts_by_query_parameter(client, reader, data):
    client.force_login(reader)
    by_name = client.get(
        reverse("dashboards:systems"), {"sort": "name", "start": "2026-07-01", "end": "2026-10-01"}
    )
    assert [row.name for row in by_name.context["rows"]] == ["legacy-cron", "search-indexer"]
    by_surprises = client.get(
        reverse("dashboards:systems"),
        {"sort": "-surprises", "start": "2026-07-01", "end": "2026-10-01"},
    )
    assert by_surprises.context["rows"][0].name == "search-indexer"
    unknown = client.get(reverse("dashboards:systems"), {"sort": "drop table"})
    assert unknown.status_code == 200
    assert unknown.context["sort"] == "-incidents"


def test_empty_period_shows_no_data(client, reader, data):
    client.force_login(reader)
    response = client.get(
        reverse("dashboards:overview"), {"start": "2010-01-01", "end": "2010-04-01"}
    )
    assert response.status_code == 200
    assert b"No data for this period" in response.content


def test_bad_filter_values_are_field_errors_not_500s(client, reader, data):
    client.force_login(reader)
    response = client.get(
        reverse("dashboards:overview"),
        {"team": "nope", "start": "2026-13-01", "end": "2026-01-01", "severity": "SEV9"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"team", "start", "severity"} <= set(form.errors)
    assert response.context["period"] == Period.last_full_quarter()
    reversed_range = client.get(
        reverse("dashboards:overview"), {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert "end" in reversed_range.context["form"].errors


def test_verdicts_show_their_p_value_on_hover_on_a_tap_and_from_the_keyboard(client, reader, data):
    client.force_login(reader)
    response = client.get(f"{reverse('dashboards:overview')}?{Q3}")
    # A <details>: its summary carries the p-value as a title (hover), and opens on a tap or
    # Enter to show it as text.
    assert re.search(
        rb'<details class="verdict verdict-\w+ verdict-\w+"><summary title="p = [0-9.<> ]+ \(',
        response.content,
    )
    assert re.search(rb'<span class="verdict-p">p = [0-9.<> ]+ \(', response.content)


def test_pages_have_no_inline_script_or_style(client, reader, data):
    client.force_login(reader)
    for name in PAGES:
        content = client.get(reverse(name), {"start": "2026-07-01", "end": "2026-10-01"}).content
        assert b"<script>" not in content
        assert b" style=" not in content
        assert b" onclick=" not in content
        assert b"javascript:" not in content


def test_private_incident_is_counted_for_its_lead_only(client, outsider, responder, db):
    IncidentFactory(started_at=at("2026-08-01"), is_private=True, lead=responder)
    for user, expected in ((outsider, 0), (responder, 1)):
        client.force_login(user)
        response = client.get(f"{reverse('dashboards:overview')}?{Q3}")
        assert response.context["summary"].incidents.current == expected


def test_dates_alone_select_the_custom_range_in_the_filter_bar(client, reader, db):
    client.force_login(reader)
    response = client.get(
        reverse("dashboards:overview"), {"start": "2026-01-05", "end": "2026-02-05"}
    )
    assert b'<option value="custom" selected>' in response.content
    assert response.context["period"] == Period.custom(date(2026, 1, 5), date(2026, 2, 5))


def test_theme_counts_link_to_lists_that_count_the_same_records(client, reader, data):
    SurpriseFactory(incident=data["incident"]).themes.add(data["incident"].themes.get())
    IncidentFactory(started_at=at("2026-08-03"))  # carries no theme: must not be listed
    client.force_login(reader)
    response = client.get(f"{reverse('dashboards:themes')}?{Q3}")
    row = next(row for row in response.context["rows"] if row.slug == "retry-storm")
    assert (row.incidents, row.surprises) == (1, 1)
    for view, count in (("incidents:list", 1), ("incidents:surprise_list", 1)):
        url = f"{reverse(view)}?start=2026-07-01&end=2026-10-01&theme=retry-storm"
        assert url in hrefs(response)
        assert client.get(url).context["page"].paginator.count == count


OUT_OF_RANGE = [
    # The previous period of this range would start in year 0: computing it overflowed.
    ({"period": "custom", "start": "0001-01-01", "end": "0001-01-02"}, "start"),
    # The trend window and the next month of this range would fall in year 10000.
    ({"period": "custom", "start": "9999-12-30", "end": "9999-12-31"}, "end"),
]


@pytest.mark.parametrize(("params", "field"), OUT_OF_RANGE)
@pytest.mark.parametrize("name", PAGES)
def test_ranges_near_the_ends_of_the_calendar_are_field_errors(
    client, reader, db, name, params, field
):
    client.force_login(reader)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert response.context["period"] == Period.last_full_quarter()


@pytest.mark.parametrize(("params", "field"), OUT_OF_RANGE)
def test_ranges_near_the_ends_of_the_calendar_are_400s_in_the_report_api(
    client, reader, db, params, field
):
    client.force_login(reader)
    response = client.get("/api/v1/reports/summary/", params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_a_range_whose_previous_period_starts_on_the_earliest_day_is_allowed(client, reader, db):
    client.force_login(reader)
    response = client.get(
        reverse("dashboards:overview"), {"start": "1970-01-11", "end": "1970-01-21"}
    )
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert response.context["period"] == Period.custom(date(1970, 1, 11), date(1970, 1, 21))
