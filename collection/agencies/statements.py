"""
The monthly commission statement of an agency: every commission line of the
month, its totals, approved by a manager; a PDF through the shared renderer
and a CSV through the formula-safe writer.

- `statement_generate` sweeps the payments first (commission.py), then takes
  every line of the agency whose moment (`occurred_at`) falls in the month,
  in the lender's time zone, and is on no approved statement, and the lines of
  earlier months that arrived after their month's statement was approved (a
  late clawback goes on the next statement generated, never into a frozen
  one). Totals: collected = Σ amount, commission = Σ commission, flat fees =
  Σ of the contract's flat fee per case over the cases placed with the agency
  in the month, total due = commission + flat fees. Generating a draft again
  rebuilds it; an approved statement is refused.
- `statement_approve` freezes it: its lines and totals never change again.

Who sees a statement (`statements_visible_to`): a manager every agency's; an
agency's supervisor their own agency's approved ones; nobody else any.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection.agencies.commission import cents, commission_lines_attribute, tier_text
from collection.agencies.members import agency_member_of
from collection.errors import CollectionError
from collection.models import (
    Agency,
    AgencyContract,
    CommissionKind,
    CommissionLine,
    CommissionStatement,
    Placement,
    StatementStatus,
)
from documents.pdf import pdf_render
from lending.models import Payment
from lending.services.calendar import LENDER_TZ, lender_today

AUDIT_GENERATED = "collection.statement.generated"
AUDIT_APPROVED = "collection.statement.approved"

STATEMENT_APPROVED = _("The statement of this month is approved: it can no longer change.")
MONTH_NOT_STARTED = _("That month has not started yet.")
MONTH_NOT_OVER = _("The month is not over yet: a statement is approved once its month has ended.")
NOT_A_MANAGER = _("Only a manager of agencies may approve a statement.")
ALREADY_APPROVED = _("This statement is already approved.")


# --- Months ---------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_next(day: datetime.date) -> datetime.date:
    start = month_start(day)
    return (start + datetime.timedelta(days=32)).replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return month_next(day) - datetime.timedelta(days=1)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LENDER_TZ)


# --- Generating -------------------------------------------------------------------


def _statement_currency(agency: Agency, period_end: datetime.date) -> str:
    contract = (
        AgencyContract.objects.filter(agency=agency, starts_on__lte=period_end).order_by("-starts_on", "-id").first()
        or AgencyContract.objects.filter(agency=agency).order_by("-starts_on", "-id").first()
    )
    return contract.currency if contract else "CNY"


def statement_lines_due(*, agency: Agency, period_start: datetime.date, statement=None):
    """
    The lines a statement of `period_start`'s month takes: the month's (in the
    lender's time zone) on no statement or on this one, and the earlier ones on
    no statement whose own month's statement was approved before they arrived.
    """
    start, end = _local_midnight(period_start), _local_midnight(month_next(period_start))
    free = Q(statement__isnull=True) | (Q(statement=statement) if statement is not None else Q(pk__in=[]))
    missed_approved = Exists(
        CommissionStatement.objects.filter(
            agency=agency,
            status=StatementStatus.APPROVED,
            period_start__lte=OuterRef("occurred_on"),
            period_end__gte=OuterRef("occurred_on"),
        )
    )
    return (
        CommissionLine.objects.filter(agency=agency, occurred_at__lt=end)
        .annotate(occurred_on=TruncDate("occurred_at", tzinfo=LENDER_TZ))
        .filter(free)
        .filter(Q(occurred_at__gte=start) | missed_approved)
    )


def _flat_fees(agency: Agency, period_start: datetime.date, period_end: datetime.date) -> Decimal:
    """The contract's flat fee for each case placed with the agency in the month."""
    total = Placement.objects.filter(agency=agency, placed_on__range=(period_start, period_end)).aggregate(
        fees=Sum("contract__flat_fee_per_case")
    )["fees"]
    return cents(total)


def statement_generate(*, agency: Agency, month: datetime.date, actor) -> CommissionStatement:
    """
    The agency's statement of `month` (any day of it), as a draft: created,
    or rebuilt from the lines as they are now. An approved one is refused.
    """
    period_start, period_end = month_start(month), month_end(month)
    if period_start > lender_today():
        raise CollectionError(MONTH_NOT_STARTED, field="month")
    commission_lines_attribute()
    with transaction.atomic():
        statement = (
            CommissionStatement.objects.select_for_update().filter(agency=agency, period_start=period_start).first()
        )
        if statement is not None and statement.status == StatementStatus.APPROVED:
            raise CollectionError(STATEMENT_APPROVED, field="month")
        if statement is None:
            statement = CommissionStatement.objects.create(
                agency=agency,
                period_start=period_start,
                period_end=period_end,
                currency=_statement_currency(agency, period_end),
                created_by=actor,
            )
        # One UPDATE each, the lines chosen by a subquery (a month may hold tens of thousands).
        due = statement_lines_due(agency=agency, period_start=period_start, statement=statement).values("pk")
        # Rebuilt: a line it had and no longer takes is let go (none should: lines only arrive).
        CommissionLine.objects.filter(statement=statement).exclude(pk__in=due).update(statement=None)
        CommissionLine.objects.filter(pk__in=due).exclude(statement=statement).update(statement=statement)
        totals = CommissionLine.objects.filter(statement=statement).aggregate(
            lines=Count("id"), collected=Sum("amount"), commission=Sum("commission")
        )
        statement.line_count = totals["lines"]
        statement.total_collected = cents(totals["collected"])
        statement.total_commission = cents(totals["commission"])
        statement.flat_fees = _flat_fees(agency, period_start, period_end)
        statement.total_due = statement.total_commission + statement.flat_fees
        statement.created_by = actor
        statement.save()
        audit_record(
            action=AUDIT_GENERATED,
            target=statement,
            actor=actor,
            data={
                "agency": agency.code,
                "month": f"{period_start:%Y-%m}",
                "lines": statement.line_count,
                "total_due": str(statement.total_due),
                "currency": statement.currency,
            },
        )
    return statement


def statement_approve(*, statement: CommissionStatement, actor) -> CommissionStatement:
    """Approve a draft statement (a manager of agencies, after its month): frozen from then on."""
    if not user_can(actor, Capability.MANAGE_AGENCIES):
        raise CollectionError(NOT_A_MANAGER)
    with transaction.atomic():
        locked = CommissionStatement.objects.select_for_update().select_related("agency").get(pk=statement.pk)
        if locked.status == StatementStatus.APPROVED:
            raise CollectionError(ALREADY_APPROVED)
        if locked.period_end >= lender_today():
            raise CollectionError(MONTH_NOT_OVER)
        locked.status = StatementStatus.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(
            action=AUDIT_APPROVED,
            target=locked,
            actor=actor,
            data={
                "agency": locked.agency.code,
                "month": f"{locked.period_start:%Y-%m}",
                "lines": locked.line_count,
                "total_due": str(locked.total_due),
                "currency": locked.currency,
            },
        )
    return locked


# --- Reading ----------------------------------------------------------------------


def can_see_statements(user) -> bool:
    """A manager of agencies, or an agency's supervisor (their own agency's approved statements)."""
    if user_can(user, Capability.MANAGE_AGENCIES):
        return True
    member = agency_member_of(user)
    return bool(member and member.is_supervisor)


def statements_visible_to(user):
    """The statements `user` may read: every one for a manager, their agency's approved ones for a supervisor."""
    statements = CommissionStatement.objects.select_related("agency", "approved_by")
    if user_can(user, Capability.MANAGE_AGENCIES):
        return statements
    member = agency_member_of(user)
    if member is not None and member.is_supervisor:
        return statements.filter(agency_id=member.agency_id, status=StatementStatus.APPROVED)
    return statements.none()


def statement_lines(statement: CommissionStatement):
    """The statement's lines in order, with what a line shows (the payment, the case)."""
    return (
        CommissionLine.objects.filter(statement=statement)
        .select_related("payment", "placement__case")
        .order_by("occurred_at", "id")
    )


def statement_cases_placed(statement: CommissionStatement) -> int:
    """How many cases were placed with the agency in the statement's month (the flat fees' count)."""
    return Placement.objects.filter(
        agency_id=statement.agency_id, placed_on__range=(statement.period_start, statement.period_end)
    ).count()


def line_display(line: CommissionLine) -> dict:
    """A line as the statement shows it, in the reader's language."""
    return {
        "date": timezone.localtime(line.occurred_at, LENDER_TZ).date(),
        "case": line.placement.case.number,
        "payment": line.payment.external_id,
        "channel": Payment.Channel(line.payment.channel).label,
        "kind": line.kind,
        "kind_label": CommissionKind(line.kind).label,
        "amount": line.amount,
        "tier": tier_text(line.tier),
        "rate": line.rate,
        "rate_percent": (line.rate * 100).normalize(),
        "commission": line.commission,
    }


# --- Documents ----------------------------------------------------------------------


def _lender_name(language: str) -> str:
    name = settings.ARREARS_LENDER.get("name", "")
    if isinstance(name, dict):
        return name.get(language) or name.get("en") or next(iter(name.values()), "")
    return name


def statement_pdf(statement: CommissionStatement, *, language: str | None = None) -> bytes:
    """The statement as a PDF in `language` (default: the reader's, the active one)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        html = render_to_string(
            "collection/agencies/statements/pdf.html",
            {
                "statement": statement,
                "lines": [line_display(line) for line in statement_lines(statement).iterator(chunk_size=2000)],
                "cases_placed": statement_cases_placed(statement),
                "lender": _lender_name(language),
                "language": language,
                "printed_on": lender_today(),
            },
        )
    return pdf_render(html, stylesheets=("css/print.css",))


def statement_filename(statement: CommissionStatement, extension: str) -> str:
    return f"{statement.number}.{extension}"


def statement_csv_rows(statement: CommissionStatement) -> tuple[list[str], object]:
    """(header, rows) of the statement's CSV, in the reader's language; amounts and rates stay Decimal numbers."""
    header = [
        gettext("Date"),
        gettext("Case"),
        gettext("Payment"),
        gettext("Channel"),
        gettext("Kind"),
        gettext("Amount"),
        gettext("Currency"),
        gettext("Tier"),
        gettext("Rate"),
        gettext("Commission"),
    ]

    def rows():
        for line in statement_lines(statement).iterator(chunk_size=2000):
            shown = line_display(line)
            yield [
                shown["date"].isoformat(),
                shown["case"],
                shown["payment"],
                str(shown["channel"]),
                str(shown["kind_label"]),
                shown["amount"],
                line.currency,
                shown["tier"],
                shown["rate"],
                shown["commission"],
            ]
        yield [gettext("Total collected"), "", "", "", "", statement.total_collected, statement.currency]
        yield [gettext("Total commission"), "", "", "", "", statement.total_commission, statement.currency]
        yield [gettext("Flat fees"), "", "", "", "", statement.flat_fees, statement.currency]
        yield [gettext("Total due"), "", "", "", "", statement.total_due, statement.currency]

    return header, rows()


# --- Start-up -------------------------------------------------------------------------


def _statement_generated(event) -> str:
    lines = event.data.get("lines", 0)
    return ngettext(
        "Commission statement %(number)s generated: %(lines)s line, %(total)s due",
        "Commission statement %(number)s generated: %(lines)s lines, %(total)s due",
        lines,
    ) % _statement_facts(event)


def _statement_approved(event) -> str:
    lines = event.data.get("lines", 0)
    return ngettext(
        "Commission statement %(number)s approved: %(lines)s line, %(total)s due",
        "Commission statement %(number)s approved: %(lines)s lines, %(total)s due",
        lines,
    ) % _statement_facts(event)


def _statement_facts(event) -> dict:
    from accounts.templatetags.arrears import money

    data = event.data
    return {
        "number": event.target_repr,
        "lines": data.get("lines", 0),
        "total": money(data.get("total_due", "0"), data.get("currency", "")),
    }


def register() -> None:
    """The statements' pages in the navigation (managers' Agencies group) and their audit sentences."""
    from accounts import navigation
    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register

    # Under the Agencies entry only (services.register, called before this, adds the group): without
    # the group the item would stand in the bar itself.
    if "agencies" in navigation._groups:
        nav_register(
            NavItem(
                "statements",
                _("Commission statements"),
                "collection:statement_list",
                Capability.MANAGE_AGENCIES,
                order=74,
                group="agencies",
                description=_(
                    "The monthly commission of each agency: generate, check every payment, approve; PDF and CSV."
                ),
            )
        )
    audit_sentence_register(AUDIT_GENERATED, _statement_generated)
    audit_sentence_register(AUDIT_APPROVED, _statement_approved)
