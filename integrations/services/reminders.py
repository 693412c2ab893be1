"""Sending a team's reminder digest (`manage.py send_reminders`), at most once a day per channel.

The send and its record (`ReminderSent`) share one transaction: the row is claimed first, the
digest sent, and a failed send rolls the claim back. So a digest is recorded only once it went
out, a second run that day finds the row and sends nothing, and a failed one is retried by the
next run. A run that starts while another is sending waits on the row's unique constraint and
then skips it. What remains is at-least-once: a send that succeeds just before its commit fails
would be sent again by the next run, which beats a reminder silently lost.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction

from integrations.models import ReminderSent
from integrations.selectors import TeamDigest

logger = logging.getLogger(__name__)

# Seconds an SMTP server or a webhook gets to answer: one stuck receiver must not hold up
# the other teams' reminders (nor the CronJob's deadline).
SEND_TIMEOUT = 10


class ReminderFailed(Exception):
    """The digest could not be delivered on that channel; the message says why."""


@dataclass(frozen=True)
class ReminderOutcome:
    SENT = "sent"
    ALREADY_SENT = "already sent today"
    FAILED = "failed"

    team: str
    channel: str
    status: str
    error: str = ""


def digest_subject(digest: TeamDigest) -> str:
    counts = ", ".join(f"{section.heading.lower()}: {section.total}" for section in digest.sections)
    return f"Due for {digest.team.name} ({counts})"


def digest_text(digest: TeamDigest, *, site_url: str) -> str:
    """The digest as plain text, the same for e-mail and chat (Slack links bare URLs)."""
    lines = [f"What is due for {digest.team.name}, {digest.day:%Y-%m-%d}", ""]
    for section in digest.sections:
        lines.append(f"{section.heading} ({section.total}):")
        for item in section.named:
            lines.append(f"- {item.title} ({item.detail}): {site_url}{item.path}")
        if section.private:
            noun = "item" if section.private == 1 else "items"
            lines.append(f"- {section.private} {noun} of private incidents, not named here")
        lines.append(f"  All of them: {site_url}{section.list_path}")
        lines.append("")
    lines.append(f"Sent daily by {site_url}/ while something is due.")
    return "\n".join(lines)


def channels_of(digest: TeamDigest) -> list[str]:
    team = digest.team
    channels = []
    if team.notify_email:
        channels.append(ReminderSent.Channel.EMAIL)
    if team.notify_webhook_url:
        channels.append(ReminderSent.Channel.WEBHOOK)
    return channels


def _send_email(digest: TeamDigest, *, site_url: str) -> None:
    message = EmailMessage(
        subject=digest_subject(digest),
        body=digest_text(digest, site_url=site_url),
        to=[digest.team.notify_email],
        connection=get_connection(timeout=SEND_TIMEOUT),
    )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise ReminderFailed(f"e-mail to {digest.team.notify_email}: {error}") from error


def _send_webhook(digest: TeamDigest, *, site_url: str) -> None:
    url = digest.team.notify_webhook_url
    # urllib also opens file:// and ftp:// URLs; a webhook is HTTP(S) only.
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ReminderFailed("webhook: not an http(s) URL")
    body = json.dumps({"text": digest_text(digest, site_url=site_url)}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    # The URL's path is the webhook's secret (Slack's are): errors name its host only.
    host = urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise ReminderFailed(f"webhook at {host}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ReminderFailed(f"webhook at {host}: {reason}") from error


_SENDERS = {ReminderSent.Channel.EMAIL: _send_email, ReminderSent.Channel.WEBHOOK: _send_webhook}


def reminder_send(*, digest: TeamDigest, channel: str, site_url: str) -> ReminderOutcome:
    """Send the digest on the channel unless it went out already that day (see the module)."""
    team, day = digest.team, digest.day
    outcome = ReminderOutcome(team=team.slug, channel=channel, status=ReminderOutcome.SENT)
    already = ReminderOutcome(team=team.slug, channel=channel, status=ReminderOutcome.ALREADY_SENT)
    if ReminderSent.objects.filter(team=team, day=day, channel=channel).exists():
        return already
    try:
        with transaction.atomic():
            ReminderSent.objects.create(team=team, day=day, channel=channel)
            _SENDERS[channel](digest, site_url=site_url)
    except IntegrityError:  # another run recorded it between our check and our claim
        return already
    except ReminderFailed as error:
        logger.warning("reminder for team %s not sent: %s", team.slug, error)
        return ReminderOutcome(
            team=team.slug, channel=channel, status=ReminderOutcome.FAILED, error=str(error)
        )
    return outcome
