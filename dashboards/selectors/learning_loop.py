"""The learning loop: do the incidents of a period get a published review, do their follow-ups
get done, and do readers learn something (the survey)?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q

from dashboards import stats
from dashboards.periods import DashboardFilters, Period
from dashboards.rollups.plan import Plan
from dashboards.selectors.durations import _duration_summaries
from dashboards.selectors.scope import _between, _incidents
from incidents.days import utc_today
from incidents.models import visible_incident_q
from incidents.scopes import incident_moment, incident_scope
from reviews.models import (
    ActionItem,
    Review,
    SurveyResponse,
    follow_up_open_q,
    follow_up_overdue_q,
)


@dataclass(frozen=True)
class LearningLoop:
    """How well the loop closes for the incidents of the period (placed by started_at)."""

    incidents: int
    reviews_published: int
    published_share: stats.Proportion
    days_to_publish: stats.DurationSummary  # seconds from resolution to published review
    follow_ups_open: int
    follow_ups_in_progress: int
    follow_ups_done: int
    follow_ups_overdue: int
    follow_ups_unowned: int
    survey_responses: int
    learned_something: stats.Proportion
    # The same share in the previous period, and the test between the two (more is good).
    learned_something_previous: stats.Proportion
    learned_something_change: stats.Comparison


def learning_loop(
    *, user, period: Period, filters: DashboardFilters, today: date | None = None
) -> LearningLoop:
    """Reviews, follow-ups and the survey for the incidents of the period (a constant number
    of queries: the counts of whole months from the rollup cells, the rest live).
    A follow-up is overdue if due before `today` (UTC today by default): a backup's
    verification counts as of the day the snapshot was taken."""
    plan = Plan({"current": period, "previous": period.previous()}, user)
    cells = plan.cells(
        (
            "incidents",
            "incidents_published",
            "survey_responses",
            "follow_ups",
            "follow_ups_open_due",
        ),
        filters,
        by=("key",),
    )
    incidents = _incidents(user, filters).filter(_between(incident_moment(), period))
    published = Q(review__status=Review.Status.PUBLISHED)
    counts = incidents.filter(plan.live("current", incident_moment(), "is_private")).aggregate(
        incidents=Count("pk"), published=Count("pk", filter=published)
    )
    counts["incidents"] += cells.get(("incidents", ""), {}).get("current", 0)
    counts["published"] += cells.get(("incidents_published", ""), {}).get("current", 0)
    days_to_publish = _duration_summaries(
        incidents.filter(published, review__published_at__isnull=False),
        {"publish": ("review__published_at", "resolved_at")},
        plan=plan,
        filters=filters,
    )["publish"]
    today = today or utc_today()
    follow = _follow_ups(user, filters, plan, today)
    month_start = today.replace(day=1)
    for (measure, key), found in cells.items():
        if measure == "follow_ups" and found["current"]:
            status, owned, due_month = key.split(":")
            follow[status] += found["current"]
            follow["unowned"] += found["current"] if owned == "0" else 0
            # Due in a month before today's: overdue if still open. "Overdue" moves with
            # today: those due earlier in today's month come from `follow_ups_open_due`
            # below, or, with a team or system filter, are counted live (`_follow_ups`).
            if status in ActionItem.OPEN_STATUSES and due_month and due_month < f"{today:%Y-%m}":
                follow["overdue"] += found["current"]
        if measure == "follow_ups_open_due" and f"{month_start}" <= key < f"{today}":
            follow["overdue"] += found["current"]

    # Survey answers sit in their incident's period.
    incident = "review__incident"
    started, private = incident_moment(incident), f"{incident}__is_private"
    current, before = (
        plan.live("current", started, private),
        plan.live("previous", started, private),
    )
    learned = Q(learned_something=True)
    survey = SurveyResponse.objects.filter(
        visible_incident_q(user, incident),
        plan.live_any(started, private),
        incident_scope(
            incident, team=filters.team, system=filters.system, severity=filters.severity
        ),
    ).aggregate(
        n=Count("pk", filter=current),
        learned=Count("pk", filter=current & learned),
        n_previous=Count("pk", filter=before),
        learned_previous=Count("pk", filter=before & learned),
    )
    for (measure, key), found in cells.items():
        if measure == "survey_responses":
            for suffix, window in (("", "current"), ("_previous", "previous")):
                survey[f"n{suffix}"] += found[window]
                if key == "1":
                    survey[f"learned{suffix}"] += found[window]
    return LearningLoop(
        incidents=counts["incidents"],
        reviews_published=counts["published"],
        published_share=stats.proportion(counts["published"], counts["incidents"]),
        days_to_publish=days_to_publish,
        follow_ups_open=follow[ActionItem.Status.OPEN],
        follow_ups_in_progress=follow[ActionItem.Status.IN_PROGRESS],
        follow_ups_done=follow[ActionItem.Status.DONE],
        follow_ups_overdue=follow["overdue"],
        follow_ups_unowned=follow["unowned"],
        survey_responses=survey["n"],
        learned_something=stats.proportion(survey["learned"], survey["n"]),
        learned_something_previous=stats.proportion(
            survey["learned_previous"], survey["n_previous"]
        ),
        learned_something_change=stats.two_proportion_test(
            survey["learned"], survey["n"], survey["learned_previous"], survey["n_previous"]
        ),
    )


def _follow_ups(user, filters: DashboardFilters, plan: Plan, today: date) -> dict[str, int]:
    """The follow-ups of the period's incidents that the cells do not count (1 query): all
    of those counted live, by status, overdue and unowned; and, with a team or system
    filter (1 more), of those the cells count, the open ones due earlier in today's month
    (the `follow_ups` cells place them by due month only, and the cells by due date,
    `follow_ups_open_due`, are kept for team ALL and system ALL only)."""
    incident = "review__incident"
    started, private = incident_moment(incident), f"{incident}__is_private"
    follow_ups = ActionItem.objects.visible_to(user).filter(
        incident_scope(incident, system=filters.system, severity=filters.severity)
    )
    if filters.team:  # on follow-ups, `team` is the owner team (as on the follow-ups list)
        follow_ups = follow_ups.filter(owner_team__slug=filters.team)
    counts = follow_ups.filter(plan.live("current", started, private)).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in ActionItem.Status.values},
        overdue=Count("pk", filter=follow_up_overdue_q(today)),
        unowned=Count("pk", filter=Q(owner_team__isnull=True)),
    )
    if not (filters.team or filters.system):
        return counts
    counts["overdue"] += follow_ups.filter(
        plan.in_cells("current", started, private),
        follow_up_open_q(),
        due_date__gte=today.replace(day=1),
        due_date__lt=today,
    ).count()
    return counts
