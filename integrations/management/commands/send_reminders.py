"""`manage.py send_reminders`: each team's daily digest of what is due, by e-mail and webhook.

Run it daily (cron or the CronJob in deploy/k8s/cronjobs.yaml; README, "Reminders"). Running
it again the same day sends nothing more; a delivery that failed is retried by the next run.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from incidents.days import utc_today
from integrations.selectors import reminder_digests
from integrations.services.reminders import (
    ReminderOutcome,
    channels_of,
    digest_subject,
    digest_text,
    reminder_send,
)


class Command(BaseCommand):
    help = (
        "Send each team its digest of overdue and unowned follow-ups and reviews to schedule, "
        "to its reminder e-mail and webhook (set in the Team admin), at most once a day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; send nothing."
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            help="The day the digests are for, YYYY-MM-DD (default: today, UTC): follow-ups "
            "due before it are overdue, and it is the day 'once a day' counts.",
        )

    def handle(self, *args, dry_run: bool, date: date | None, **options):
        site_url = settings.SITE_URL
        if not site_url:
            # Without it the digests' links would be relative, useless in an e-mail or a chat.
            raise CommandError(
                "SITE_URL is not set: set it to the address people open the app at, like "
                "https://incidents.example.com (README, Configuration)."
            )
        today = date or utc_today()
        outcomes: list[ReminderOutcome] = []
        for digest in reminder_digests(today=today):
            for channel in channels_of(digest):
                if dry_run:
                    self.stdout.write(f"--- {digest.team.slug} {channel}: would send")
                    self.stdout.write(f"Subject: {digest_subject(digest)}")
                    self.stdout.write(digest_text(digest, site_url=site_url))
                    continue
                outcome = reminder_send(digest=digest, channel=channel, site_url=site_url)
                outcomes.append(outcome)
                line = f"{outcome.team} {outcome.channel}: {outcome.status}"
                if outcome.error:
                    self.stderr.write(f"{line}: {outcome.error}")
                else:
                    self.stdout.write(line)
        failed = [outcome for outcome in outcomes if outcome.status == ReminderOutcome.FAILED]
        if failed:
            # A non-zero exit makes the failure visible to cron's mail and the CronJob's
            # status; the other teams' reminders were sent all the same.
            raise CommandError(f"{len(failed)} of {len(outcomes)} reminders failed; see above.")
        self.stdout.write(f"Reminders for {today:%Y-%m-%d}: {len(outcomes)} sent or already sent.")
