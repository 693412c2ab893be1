"""manage.py rollups: --rebuild, --refresh and --check, and the refresh after a write request."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboards.models import RollupCell, RollupMonth
from incidents.models import DirtyMonth
from tests.dashboards.test_rollups import build_organisation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("rollups", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_rebuild_computes_every_month_of_the_records_and_check_agrees():
    build_organisation(size=20)
    UserFactory(username="root", is_superuser=True)
    assert "Rolled up 8 months" in _run("--rebuild")
    assert RollupMonth.objects.count() == 8
    assert RollupCell.objects.exists()
    assert "Rollups match the records" in _run("--check")


def test_check_fails_on_a_cell_that_differs_from_the_records():
    build_organisation(size=20)
    _run("--rebuild")
    cell = RollupCell.objects.filter(measure="incidents", team=0, system=0, severity="").first()
    cell.n += 1
    cell.save()
    with pytest.raises(CommandError, match="differences between rollups and records"):
        _run("--check")
    cell.n -= 1
    cell.save()
    _run("--check")


def test_check_does_not_read_a_marked_month():
    build_organisation(size=20)
    _run("--rebuild")
    RollupCell.objects.filter(month=date(2026, 3, 1)).update(n=999)
    DirtyMonth.objects.create(month=date(2026, 3, 1))
    _run("--check")  # marked: counted live, so not wrong, only waiting for a refresh
    assert "Refreshed 1 months" in _run("--refresh")
    assert not RollupCell.objects.filter(n=999).exists()
    assert not DirtyMonth.objects.exists()


def test_a_write_request_refreshes_the_months_it_marked_after_its_response(client):
    build_organisation(size=20)
    _run("--rebuild")
    RollupCell.objects.filter(month=date(2026, 4, 1)).update(n=999)
    DirtyMonth.objects.create(month=date(2026, 4, 1))
    client.get(reverse("login"))  # a read leaves the marks
    assert DirtyMonth.objects.exists()
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert not DirtyMonth.objects.exists()
    assert not RollupCell.objects.filter(n=999).exists()


def test_a_read_after_a_write_whose_response_was_never_closed_does_not_refresh(client):
    """The flag is the request's own: one a write left (its request_finished never sent, as
    when an exception goes through the test client) does not make the next read refresh."""
    from dashboards.rollups import middleware

    build_organisation(size=20)
    _run("--rebuild")
    DirtyMonth.objects.create(month=date(2026, 4, 1))
    middleware._state.wrote = True  # left by a write whose response was never closed
    client.get(reverse("login"))
    assert DirtyMonth.objects.exists()


def test_a_mark_for_every_month_rebuilds_them_all():
    build_organisation(size=20)
    _run("--rebuild")
    cells = RollupCell.objects.count()
    RollupCell.objects.all().update(n=999)
    DirtyMonth.objects.create(month=None)
    assert "Refreshed 8 months" in _run("--refresh")
    assert RollupCell.objects.count() == cells
    assert not RollupCell.objects.filter(n=999).exists()
