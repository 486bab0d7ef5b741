"""
Reads of litigation files, scoped once: a user sees a file when they may see
its case (collection.selectors.cases.cases_visible_to) — a legal officer the
cases in the legal stage, a manager every case, a collector their own cases
(read-only, the views hold the writes to WORK_LEGAL), an outsider none.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import ROLE_CAPABILITIES, Capability
from collection.models import Case, CaseStatus, Stage
from collection.selectors.cases import cases_visible_to
from legal.models import (
    ENDED_STATUSES,
    Enforcement,
    EnforcementRecovery,
    Evidence,
    FileStatus,
    FileStatusChange,
    Hearing,
    Judgment,
    LitigationFile,
)

CALENDAR_DAYS = 60


def files_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    files = LitigationFile.objects.all() if queryset is None else queryset
    return files.filter(case__in=cases_visible_to(user).values("pk"))


def file_visible_get(user, pk: int, queryset: QuerySet | None = None) -> LitigationFile:
    """The file if the user may see its case, else 404 (an outsider learns nothing)."""
    return get_object_or_404(files_visible_to(user, queryset), pk=pk)


def file_page_get(user, pk: int) -> LitigationFile:
    """The file with what its page draws, in a fixed number of queries."""
    recoveries = EnforcementRecovery.objects.select_related("payment").order_by("recorded_at", "id")
    queryset = LitigationFile.objects.select_related("case__borrower", "legal_officer", "referred_by").prefetch_related(
        Prefetch("status_changes", FileStatusChange.objects.select_related("actor")),
        Prefetch("hearings", Hearing.objects.order_by("starts_at", "id")),
        "costs",
        Prefetch("enforcements", Enforcement.objects.prefetch_related(Prefetch("recoveries", recoveries))),
        Prefetch("evidence", Evidence.objects.order_by("position", "id")),
    )
    file = file_visible_get(user, pk, queryset)
    file.judgment_or_none = Judgment.objects.filter(file=file).first()
    file.costs_total = sum((cost.amount for cost in file.costs.all()), Decimal("0.00"))
    return file


def file_for_case(user, case: Case) -> LitigationFile | None:
    """The case's open file, else its latest one, if the user may see the case."""
    files = files_visible_to(user, LitigationFile.objects.filter(case=case))
    open_file = files.exclude(status__in=ENDED_STATUSES).first()
    return open_file or files.order_by("-referred_at", "-id").first()


# --- The workspace ---------------------------------------------------------------------------------


def workspace_files(user) -> QuerySet:
    """The file queue: open files past the referral (the referrals page has those), soonest deadline first."""
    queue = LitigationFile.objects.exclude(status__in=[*ENDED_STATUSES, FileStatus.REFERRED]).select_related(
        "case__borrower", "legal_officer"
    )
    return files_visible_to(user, queue).order_by("next_deadline_on", "referred_at", "id")


def legal_officers() -> QuerySet:
    """The users who may be a file's legal officer (hold WORK_LEGAL), for the filter and the assignment form."""
    roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if Capability.WORK_LEGAL in capabilities]
    return User.objects.filter(role__in=roles, is_active=True).order_by("first_name", "last_name", "username")


def legal_stage_cases(user) -> QuerySet:
    """The open cases in the legal stage the user may see, the nearest limitation expiry first."""
    cases = Case.objects.filter(stage=Stage.LEGAL).exclude(status=CaseStatus.CLOSED).select_related("borrower")
    return cases_visible_to(user, cases).order_by("limitation_expires_on", "id")


@dataclass
class Deadline:
    day: datetime.date
    kind: str  # "hearing", "appeal", "limitation"
    case: Case
    file: LitigationFile | None = None
    hearing: Hearing | None = None


@dataclass
class CalendarDay:
    day: datetime.date
    deadlines: list[Deadline] = field(default_factory=list)


def deadlines_upcoming(user, *, today: datetime.date | None = None, days: int = CALENDAR_DAYS) -> list[CalendarDay]:
    """
    The deadlines of the next `days` days, grouped by day: hearings to be
    held, appeal windows of judgments on open files, and the limitation
    expiries of the legal-stage cases. Three queries.
    """
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=days)
    visible = cases_visible_to(user).values("pk")
    deadlines = []
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(until, datetime.time.max))
    hearings = (
        Hearing.objects.filter(outcome=Hearing.Outcome.PENDING, starts_at__range=(start, end), file__case__in=visible)
        .exclude(file__status__in=ENDED_STATUSES)
        .select_related("file__case__borrower")
    )
    for hearing in hearings:
        deadlines.append(
            Deadline(timezone.localdate(hearing.starts_at), "hearing", hearing.file.case, hearing.file, hearing)
        )
    judgments = (
        Judgment.objects.filter(appeal_deadline_on__range=(today, until), file__case__in=visible)
        .exclude(file__status__in=ENDED_STATUSES)
        .select_related("file__case__borrower")
    )
    for judgment in judgments:
        deadlines.append(Deadline(judgment.appeal_deadline_on, "appeal", judgment.file.case, judgment.file))
    cases = legal_stage_cases(user).filter(limitation_expires_on__range=(today, until))
    for case in cases:
        deadlines.append(Deadline(case.limitation_expires_on, "limitation", case))
    calendar: dict[datetime.date, CalendarDay] = {}
    order = {"hearing": 0, "appeal": 1, "limitation": 2}
    for deadline in sorted(deadlines, key=lambda d: (d.day, order[d.kind], d.case.pk)):
        calendar.setdefault(deadline.day, CalendarDay(deadline.day)).deadlines.append(deadline)
    return list(calendar.values())


def workspace_counts(user) -> dict[str, int]:
    """How many open files the user sees in each status, for the status chips above the queue."""
    rows = workspace_files(user).order_by().values_list("status").annotate(count=Count("id"))
    return {status: count for status, count in rows}
