"""`manage.py send_reminders` against real receivers: an aiosmtpd SMTP server and an HTTP
server standing in for a Slack-compatible incoming webhook, both on free loopback ports."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone

from config.env import env_site_url
from incidents.days import utc_today
from integrations.models import ReminderSent
from reviews.models import ActionItem, Review
from tests.factories import ActionItemFactory, IncidentFactory, ReviewFactory, TeamFactory
from tests.integrations.real_servers import free_port

SITE = "https://incidents.example.com"


class _Inbox:
    """aiosmtpd's handler: every message the server accepted, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def inbox(settings):
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it."""
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = SITE
    yield handler.messages
    controller.stop()


class _Receiver(BaseHTTPRequestHandler):
    posts: list  # (path, JSON body), set per server

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append((self.path, json.loads(body)))
        # A path ending in /broken answers as a webhook that is down.
        self.send_response(500 if self.path.endswith("/broken") else 200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A local HTTP server: its base URL and the posts it received."""
    posts: list = []
    handler = type("Receiver", (_Receiver,), {"posts": posts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    server.posts = posts
    yield server
    server.shutdown()
    server.server_close()


def body(message) -> str:
    return message.get_body().get_content().replace("\r\n", "\n")  # SMTP's line ends


def send(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def due(db, webhook):
    """Payments has one of each thing due, on public and on private incidents; Quiet has a
    follow-up that is not due yet."""
    today = utc_today()
    payments = TeamFactory(
        name="Payments",
        notify_email="payments@example.com",
        notify_webhook_url=f"{webhook.base_url}/hooks/payments",
    )
    quiet = TeamFactory(
        name="Quiet",
        notify_email="quiet@example.com",
        notify_webhook_url=f"{webhook.base_url}/hooks/quiet",
    )
    other = TeamFactory(name="Other")
    reviewed = ReviewFactory(
        incident=IncidentFactory(teams=[payments]), status=Review.Status.PUBLISHED
    )
    late = today - timedelta(days=5)
    ActionItemFactory(review=reviewed, owner_team=payments, due_date=late, title="Alert on lag")
    ActionItemFactory(review=reviewed, owner_team=None, due_date=None, title="Own the ledger")
    ActionItemFactory(
        review=reviewed,
        owner_team=payments,
        due_date=late,
        status=ActionItem.Status.DONE,
        title="Done already",
    )
    ActionItemFactory(review=reviewed, owner_team=payments, title="Not due yet")
    ActionItemFactory(review=reviewed, owner_team=other, due_date=late, title="Other team's")
    ActionItemFactory(review__incident__teams=[quiet], owner_team=quiet, title="Quiet's, not due")
    long_ago = timezone.now() - timedelta(days=40)
    to_review = IncidentFactory(
        teams=[payments], severity="SEV1", started_at=long_ago, title="Checkout outage"
    )
    secret = IncidentFactory(
        teams=[payments], is_private=True, title="Secret merger rollback", started_at=long_ago
    )
    secret_review = ReviewFactory(incident=secret, status=Review.Status.PUBLISHED)
    ActionItemFactory(review=secret_review, owner_team=payments, due_date=late, title="Hush item")
    IncidentFactory(teams=[payments], is_private=True, severity="SEV1", started_at=long_ago)
    return {"payments": payments, "quiet": quiet, "to_review": to_review, "reviewed": reviewed}


def test_a_team_with_something_due_gets_one_email_and_one_webhook_post_with_its_items(
    inbox, webhook, due
):
    output = send()

    ((recipients, message),) = inbox
    assert recipients == ["payments@example.com"]
    ((path, payload),) = webhook.posts
    assert path == "/hooks/payments"
    assert message["Subject"] == (
        "Due for Payments (overdue follow-ups: 2, unowned follow-ups: 1, reviews to schedule: 2)"
    )
    text = body(message)
    assert payload["text"].strip() == text.strip()
    assert "Overdue follow-ups (2):" in text
    assert f"- Alert on lag (due {utc_today() - timedelta(days=5):%Y-%m-%d}" in text
    assert f"{SITE}/reviews/{due['reviewed'].pk}/" in text
    assert f"{SITE}/follow-ups/?team=payments&overdue=true" in text
    assert "Unowned follow-ups (1):\n- Own the ledger (no due date" in text
    assert "Reviews to schedule (2):" in text
    assert f"- {due['to_review'].reference}: Checkout outage (SEV1" in text
    assert f"{SITE}{due['to_review'].get_absolute_url()}" in text
    assert f"{SITE}/reviews/?team=payments&overdue=true" in text
    for not_due in ("Done already", "Not due yet", "Other team's", "Quiet's"):
        assert not_due not in text
    assert "payments email: sent" in output
    assert "payments webhook: sent" in output


def test_running_twice_the_same_day_sends_nothing_more(inbox, webhook, due):
    send()
    output = send()

    assert len(inbox) == 1
    assert len(webhook.posts) == 1
    assert "payments email: already sent today" in output
    assert ReminderSent.objects.filter(team=due["payments"]).count() == 2
    # The next day is a new day.
    send("--date", (utc_today() + timedelta(days=1)).isoformat())
    assert len(inbox) == 2
    assert len(webhook.posts) == 2


def test_a_team_with_nothing_due_gets_nothing(inbox, webhook, due):
    send()

    assert all(recipients != ["quiet@example.com"] for recipients, _ in inbox)
    assert all(path != "/hooks/quiet" for path, _ in webhook.posts)
    assert not ReminderSent.objects.filter(team=due["quiet"]).exists()


def test_private_incidents_are_counted_but_not_named(inbox, webhook, due):
    send()

    ((_, message),) = inbox
    text = body(message)
    for sent in (text, webhook.posts[0][1]["text"], message["Subject"]):
        assert "Secret merger rollback" not in sent
        assert "Hush item" not in sent
    assert text.count("- 1 item of private incidents, not named here") == 2
    assert "Overdue follow-ups (2):" in text
    assert "Reviews to schedule (2):" in text


@pytest.mark.parametrize("failure", ["http 500", "connection refused"])
def test_a_failing_webhook_does_not_stop_the_others_and_exits_non_zero(
    inbox, webhook, due, failure
):
    broken = TeamFactory(name="Broken")
    ActionItemFactory(owner_team=broken, due_date=utc_today() - timedelta(days=1))
    if failure == "http 500":
        broken.notify_webhook_url = f"{webhook.base_url}/hooks/broken"
    else:
        broken.notify_webhook_url = f"http://127.0.0.1:{free_port()}/hooks/broken"
    broken.notify_email = "broken@example.com"
    broken.save()

    with pytest.raises(CommandError, match="1 of 4 reminders failed"):
        send()

    # Broken sorts before Payments: its failure stopped neither its own e-mail nor them.
    assert sorted(recipients[0] for recipients, _ in inbox) == [
        "broken@example.com",
        "payments@example.com",
    ]
    assert "/hooks/payments" in [path for path, _ in webhook.posts]
    sent = set(ReminderSent.objects.values_list("team__slug", "channel"))
    assert sent == {("broken", "email"), ("payments", "email"), ("payments", "webhook")}
    # Not recorded, so the next run tries the webhook again (and only it).
    with pytest.raises(CommandError, match="1 of 4 reminders failed"):
        send()
    assert len(inbox) == 2


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(inbox, webhook, due):
    output = send("--dry-run")

    assert "--- payments email: would send" in output
    assert "--- payments webhook: would send" in output
    assert "Alert on lag" in output
    assert "quiet" not in output
    assert inbox == []
    assert webhook.posts == []
    assert not ReminderSent.objects.exists()


def test_it_refuses_to_run_without_site_url(db, settings):
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="SITE_URL is not set"):
        send()


def test_it_succeeds_with_no_team_to_remind(db, settings):
    settings.SITE_URL = SITE
    TeamFactory(name="Nobody set an address")
    assert "0 sent or already sent" in send()


def test_site_url_is_a_scheme_and_a_host(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://incidents.example.com/")
    assert env_site_url("SITE_URL") == SITE
    monkeypatch.setenv("SITE_URL", "incidents.example.com/app")
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        env_site_url("SITE_URL")
