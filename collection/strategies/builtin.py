"""
Collection's own strategy actions: send a message, queue for a call, request
a field visit, move the stage, and freeze or cut the credit line (when
lending's credit-line services exist). Each runs for a batch of cases at
once; the ones that can only be done a case at a time (a visit request asks
the guard for each case) go through `one_by_one`.
"""

import datetime
import importlib.util
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from django.db.models import CharField, DateTimeField, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from collection.models import (
    MESSAGE_CHANNELS,
    Case,
    CaseAccount,
    CaseEvent,
    Channel,
    EventKind,
    MessageKind,
    MessageOrigin,
    MessageStatus,
    OutboundMessage,
    Stage,
    StageChange,
    StepOutcome,
)
from collection.strategies.actions import (
    ParamSpec,
    StrategyAction,
    action_register,
    failed,
    one_by_one,
    result_text_register,
    skipped,
)
from lending.models import ContactPoint, CreditLimitChange
from lending.sql import chunks

# Stages a strategy may move a case to (legal through legal's referral; write-off and sale by their own process).
MOVABLE_STAGES = (Stage.EARLY, Stage.LATE, Stage.FIELD, Stage.AGENCY)
# The contact point each message channel goes to (in-app messages need none).
CHANNEL_POINT_KIND = {Channel.SMS: ContactPoint.Kind.MOBILE, Channel.EMAIL: ContactPoint.Kind.EMAIL}


def step_key(*, step_id: int, case_id: int, on: datetime.date) -> str:
    """The message's idempotency key: one message a step, case and day, whatever runs again."""
    return f"step:{step_id}:{case_id}:{on.isoformat()}"


def _kind_choices():
    return MessageKind.choices


def _channel_choices():
    return [(value, label) for value, label in Channel.choices if value in MESSAGE_CHANNELS]


def _team_choices():
    from accounts.models import Team

    return [("", _("(the case's own team)")), *((str(team.pk), team.name) for team in Team.objects.order_by("name"))]


def _stage_choices():
    return [(stage.value, stage.label) for stage in MOVABLE_STAGES]


# --- Send a message ----------------------------------------------------------------------------


def case_accounts(case_ids) -> dict[int, list[int]]:
    """The accounts now in each case, oldest membership first."""
    accounts = defaultdict(list)
    for chunk in chunks(case_ids):
        memberships = (
            CaseAccount.objects.filter(case_id__in=chunk, left_on__isnull=True)
            .order_by("case_id", "joined_on", "id")
            .values_list("case_id", "account_id")
        )
        for case_id, account_id in memberships:
            accounts[case_id].append(account_id)
    return accounts


def _batch_cases(step, *, on, now):
    """The cases of this run's batch of the step: those whose StepExecution it just wrote (a subquery, not a list)."""
    from collection.strategies.engine import step_executions_of_run

    # Only those the engine left to act on (a case placed with an agency was skipped before: engine.py).
    executions = step_executions_of_run(step, on=on, now=now).filter(outcome=StepOutcome.DONE)
    return Case.objects.filter(pk__in=executions.values("case_id"))


def send_message_run(*, case_ids, step, on, now) -> dict:
    """
    One INSERT ... SELECT of the batch's messages, queued with their key
    `step:<step>:<case>:<day>` (a conflict on the key: already queued, left
    alone), recipient and text empty: part A's sender renders them, asks the
    guard and the contact hours when the dispatcher (part B, the nightly
    chain's reminders step and the beat) takes them. It writes the
    very row `messages_queue_many` would, set-based: 70,000 ORM objects cost
    seconds that one statement does not (bench/strategies.py).
    """
    kind, channel = step.params["kind"], step.params["channel"]
    cases = _batch_cases(step, on=on, now=now)
    point_kind = CHANNEL_POINT_KIND.get(channel)
    results = {}
    point = None
    if point_kind is not None:
        point = Subquery(
            ContactPoint.objects.filter(
                borrower_id=OuterRef("borrower_id"),
                kind=point_kind,
                owner=ContactPoint.Owner.BORROWER,
                do_not_contact=False,
            )
            .order_by("-is_primary", "id")
            .values("id")[:1]
        )
        cases = cases.annotate(x_point=point)
        for case_id in cases.filter(x_point__isnull=True).values_list("pk", flat=True):
            results[case_id] = skipped("no_contact_point", channel=channel)
        cases = cases.filter(x_point__isnull=False)
    else:
        cases = cases.annotate(x_point=Value(None, output_field=IntegerField()))
    account = Subquery(
        CaseAccount.objects.filter(case_id=OuterRef("pk"), left_on__isnull=True)
        .order_by("joined_on", "id")
        .values("account_id")[:1]
    )
    empty = Value("", output_field=CharField())
    zero = Value(0, output_field=IntegerField())
    rows = (
        cases.annotate(
            x_key=Concat(
                Value(f"step:{step.pk}:"),
                Cast("pk", CharField()),
                Value(f":{on.isoformat()}"),
                output_field=CharField(),
            ),
            x_origin=Value(MessageOrigin.STRATEGY, output_field=CharField()),
            x_kind=Value(kind, output_field=CharField()),
            x_channel=Value(channel, output_field=CharField()),
            x_account=account,
            x_step=Value(step.pk, output_field=IntegerField()),
            x_status=Value(MessageStatus.QUEUED, output_field=CharField()),
            x_empty=empty,
            x_zero=zero,
            x_now=Value(now, output_field=DateTimeField()),
        )
        .order_by()
        .values_list(
            "x_key",
            "x_origin",
            "x_kind",
            "x_channel",
            "borrower__language",
            "borrower_id",
            "pk",
            "x_account",
            "x_point",
            "x_step",
            "x_empty",
            "x_empty",
            "x_empty",
            "x_zero",
            "x_status",
            "x_empty",
            "x_empty",
            "x_empty",
            "x_empty",
            "x_zero",
            "x_now",
            "x_now",
        )
    )
    select, params = rows.query.get_compiler(using=rows.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OutboundMessage._meta.db_table} (idempotency_key, origin, kind, channel, language, "  # noqa: S608
            "borrower_id, case_id, account_id, contact_point_id, strategy_step_id, recipient, subject, body, "
            "segments, status, suppressed_rule, failure_code, failure_detail, provider_message_id, attempts, "
            f"created_at, scheduled_for) {select} ON CONFLICT DO NOTHING",
            params,
        )
    return results


def _describe_message(params: dict) -> str:
    return _("%(channel)s: %(kind)s") % {
        "channel": Channel(params["channel"]).label,
        "kind": MessageKind(params["kind"]).label,
    }


# --- Queue for a call --------------------------------------------------------------------------


def queue_call_run(*, case_ids, step, on, now) -> dict:
    """Raise the case in the queues by the boost (priority formula's strategy part), due now, in the team asked."""
    boost = int(step.params.get("boost") or 0)
    team_id = int(step.params["team"]) if step.params.get("team") else None
    cases = _batch_cases(step, on=on, now=now)
    cases.update(priority=F("priority") - F("strategy_priority_boost") + boost, strategy_priority_boost=boost)
    cases.filter(Q(next_action_at__isnull=True) | Q(next_action_at__gt=now)).update(next_action_at=now)
    if team_id is not None:
        from accounts.models import Team
        from collection.services.assignment import cases_reassign

        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            return {case_id: failed("team_missing") for case_id in case_ids}
        moving = []
        for chunk in chunks(case_ids):
            moving += Case.objects.filter(pk__in=chunk).exclude(team_id=team_id).values_list("pk", flat=True)
        if moving:
            cases_reassign(case_ids=moving, to_team=team, actor=None)
    return {}


def _describe_call(params: dict) -> str:
    return _("Queue for a call (priority +%(boost)s)") % {"boost": params.get("boost", 0)}


# --- Request a field visit ---------------------------------------------------------------------


def request_visit_run(*, case_ids, step, on, now) -> dict:
    from collection.models import FieldVisit
    from collection.services.visits import OPEN_STATUSES, visit_request

    results = {}
    already = set()
    for chunk in chunks(case_ids):
        already |= set(
            FieldVisit.objects.filter(case_id__in=chunk, status__in=OPEN_STATUSES).values_list("case_id", flat=True)
        )
    for case_id in already:
        results[case_id] = skipped("visit_already_open")
    note = (step.params.get("note") or "").strip()
    reason = note or f"{step.version.strategy.name} v{step.version.number} #{step.position}"

    def request(case, day):
        visit = visit_request(case=case, reason=reason, actor=None)
        return None if visit else skipped("visit_not_requested")

    results.update(one_by_one(request, case_ids=[pk for pk in case_ids if pk not in already], on=on))
    return results


# --- Move the stage ----------------------------------------------------------------------------


def move_stage_run(*, case_ids, step, on, now) -> dict:
    """Set-based: the StageChange rows, the cases' stage and a "stage_changed" line for each case that moves."""
    to = step.params["stage"]
    results = {}
    rows = []
    for chunk in chunks(case_ids):
        rows += Case.objects.filter(pk__in=chunk).values_list("pk", "stage", "days_past_due")
    moving = [(pk, stage, days) for pk, stage, days in rows if stage != to]
    for pk, stage, _days in rows:
        if stage == to:
            results[pk] = skipped("already_in_stage", stage=to)
    StageChange.objects.bulk_create(
        [StageChange(case_id=pk, changed_on=on, from_stage=stage, to_stage=to) for pk, stage, _days in moving],
        batch_size=2000,
    )
    for chunk in chunks([pk for pk, _stage, _days in moving]):
        Case.objects.filter(pk__in=chunk).update(stage=to, updated_at=now)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=pk,
                occurred_at=now,
                kind=EventKind.STAGE,
                code="stage_changed",
                data={"from": stage, "to": to, "days_past_due": days},
            )
            for pk, stage, days in moving
        ],
        batch_size=2000,
    )
    return results


def _describe_stage(params: dict) -> str:
    return _("Move to the %(stage)s stage") % {"stage": Stage(params["stage"]).label}


# --- Freeze or cut the credit line (lending's credit-line services, part E) ----------------------

CREDIT_LINES_MODULE = "lending.credit_lines.services"


def credit_lines_available() -> bool:
    try:
        return importlib.util.find_spec(CREDIT_LINES_MODULE) is not None
    except ModuleNotFoundError:
        return False


def _each_account(case_ids, on, change) -> dict:
    """`change(account)` for each account of each case; a case fails when one of its accounts does."""
    from lending.models import CreditAccount

    results = {}
    accounts = case_accounts(case_ids)
    for case_id in case_ids:
        if not accounts.get(case_id):
            results[case_id] = skipped("no_account")
    by_id = {}
    for chunk in chunks([pk for ids in accounts.values() for pk in ids]):
        by_id.update({account.pk: account for account in CreditAccount.objects.filter(pk__in=chunk)})
    for case_id, account_ids in accounts.items():
        for account_id in account_ids:
            try:
                change(by_id[account_id])
            except Exception as error:  # lending's refusal (already frozen, closed account...) fails this case only
                results[case_id] = failed("credit_line_refused", error=type(error).__name__)
    return results


def freeze_line_run(*, case_ids, step, on, now) -> dict:
    from lending.credit_lines import services

    note = (step.params.get("note") or "").strip()
    return _each_account(
        case_ids,
        on,
        lambda account: services.credit_line_freeze(
            account=account, actor=None, reason=CreditLimitChange.Reason.DELINQUENCY, note=note
        ),
    )


def cut_line_run(*, case_ids, step, on, now) -> dict:
    from lending.credit_lines import services

    keep = Decimal(int(step.params.get("keep_percent", 50))) / 100
    note = (step.params.get("note") or "").strip()

    def cut(account):
        new_limit = (account.credit_limit * keep).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        services.credit_line_cut(
            account=account,
            new_limit=new_limit,
            actor=None,
            reason=CreditLimitChange.Reason.DELINQUENCY,
            note=note,
        )

    return _each_account(case_ids, on, cut)


def _describe_cut(params: dict) -> str:
    return _("Cut the credit line to %(percent)s%% of its limit") % {"percent": params.get("keep_percent", 50)}


NOTE = ParamSpec("note", _("Note"), "text", required=False, default="")


def register() -> None:
    action_register(
        StrategyAction(
            code="send_message",
            label=_("Send a message"),
            run=send_message_run,
            params=(
                ParamSpec("kind", _("Message"), "choice", choices=_kind_choices),
                ParamSpec("channel", _("Channel"), "choice", choices=_channel_choices, default=Channel.SMS),
            ),
            done_code="message_queued",
            event_kind=EventKind.MESSAGE,
            describe=_describe_message,
            order=10,
        )
    )
    action_register(
        StrategyAction(
            code="queue_call",
            label=_("Queue for a call"),
            run=queue_call_run,
            params=(
                ParamSpec("team", _("Team"), "choice", choices=_team_choices, required=False, default=""),
                ParamSpec(
                    "boost",
                    _("Priority boost"),
                    "number",
                    default=100,
                    minimum=0,
                    maximum=500,
                    help_text=_("Points added to the case's priority until it leaves the segment."),
                ),
            ),
            done_code="call_queued",
            event_kind=EventKind.ASSIGNMENT,
            describe=_describe_call,
            order=20,
        )
    )
    action_register(
        StrategyAction(
            code="request_visit",
            label=_("Request a field visit"),
            run=request_visit_run,
            params=(NOTE,),
            done_code="visit_requested",
            event_kind=EventKind.VISIT,
            order=30,
        )
    )
    action_register(
        StrategyAction(
            code="move_stage",
            label=_("Move stage"),
            run=move_stage_run,
            params=(ParamSpec("stage", _("Stage"), "choice", choices=_stage_choices),),
            done_code="stage_moved",
            event_kind=EventKind.STAGE,
            describe=_describe_stage,
            order=40,
        )
    )
    if credit_lines_available():
        action_register(
            StrategyAction(
                code="freeze_credit_line",
                label=_("Freeze the credit line"),
                run=freeze_line_run,
                params=(NOTE,),
                done_code="credit_line_frozen",
                event_kind=EventKind.ACCOUNT,
                order=50,
            )
        )
        action_register(
            StrategyAction(
                code="cut_credit_line",
                label=_("Cut the credit line"),
                run=cut_line_run,
                params=(
                    ParamSpec(
                        "keep_percent",
                        _("New limit (percent of the current one)"),
                        "number",
                        default=50,
                        minimum=0,
                        maximum=99,
                    ),
                    NOTE,
                ),
                done_code="credit_line_cut",
                event_kind=EventKind.ACCOUNT,
                describe=_describe_cut,
                order=55,
            )
        )
    for code, text in {
        "done": _("done"),
        "message_queued": _("queued for sending"),
        "call_queued": _("queued for a call"),
        "visit_requested": _("visit requested"),
        "stage_moved": _("stage moved"),
        "credit_line_frozen": _("credit line frozen"),
        "credit_line_cut": _("credit line cut"),
        "no_contact_point": _("no usable contact point"),
        "visit_already_open": _("a visit is already open"),
        "visit_not_requested": _("visit not requested"),
        "already_in_stage": _("already in that stage"),
        "no_account": _("no account in the case"),
        "credit_line_refused": _("the credit line could not be changed"),
        "team_missing": _("the team no longer exists"),
        "action_unavailable": _("this action is no longer available"),
        "action_error": _("the action failed (see the logs)"),
        "service_refused": _("refused by a rule of the service"),
    }.items():
        result_text_register(code, text)
