"""
The case timeline lines (CaseEvent rows) the nightly lifecycle writes.

Every CaseEvent row the lifecycle writes goes through `case_events_write`,
one INSERT ... SELECT per kind of line. Each step passes the SQL for the
line's `summary` and `data` from its own rows; the summary is built here, in
SQL, from the lender's-language templates (`timeline_texts`, sent as
parameters) with `summary_sql` and `label_sql`. The case page renders lines
from their `data`; `summary` is the fallback text.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from collection.models import ArrangementKind, CaseEvent, CaseStatus, CloseOutcome, Stage

if TYPE_CHECKING:
    from collection.lifecycle.statements import NightStatements

EVENT_TABLE = CaseEvent._meta.db_table

# The choices whose labels a summary can show: `label_sql(column, prefix)`.
LABELLED_CHOICES = {"stage": Stage, "status": CaseStatus, "outcome": CloseOutcome, "kind": ArrangementKind}


def timeline_texts() -> dict[str, str]:
    """The timeline's fallback texts in the lender's language (the case page renders lines from their data)."""
    with translation.override(settings.LANGUAGE_CODE):
        texts = {
            "t_opened": gettext("Case opened: {days} days past due, stage {stage}"),
            "t_joined": gettext("Account {account} joined the case ({days} days past due)"),
            "t_left": gettext("Account {account} left the case: nothing past due"),
            "t_left_closed": gettext("Account {account} left the case: the case closed"),
            "t_closed": gettext("Case closed: {outcome}"),
            "t_stage": gettext("Stage: {from} → {to} ({days} days past due)"),
            "t_status": "{from} → {to}",
            "t_installment_paid": gettext("Installment {number} of the arrangement paid: {amount} {currency}"),
            "t_installment_partly_paid": gettext(
                "Installment {number} of the arrangement partly paid: {paid} of {amount} {currency}"
            ),
            "t_installment_missed": gettext(
                "Installment {number} of the arrangement missed: {amount} {currency} were due {due_on}"
            ),
            "t_arrangement_broken": gettext("{kind} broken: an installment was missed"),
            "t_arrangement_completed": gettext("{kind} completed"),
            "t_arrangement_ended": gettext("{kind} ended: the case closed"),
            "t_promise_kept": gettext("Promise kept: {paid} {currency} paid by {due_on}"),
            "t_promise_partly_kept": gettext("Promise partly kept: {paid} of {amount} {currency} paid by {due_on}"),
            "t_promise_broken": gettext("Promise broken: {amount} {currency} were due {due_on}"),
        }
        for prefix, choices in LABELLED_CHOICES.items():
            for value, label in zip(choices.values, choices.labels, strict=True):
                texts[f"label_{prefix}_{value}"] = str(label)
    return texts


def summary_sql(template_param: str, **values: str) -> str:
    """SQL for a translated template (a parameter) with its `{name}` placeholders replaced by SQL values."""
    sql = f"%({template_param})s"
    for name, value in values.items():
        sql = "REPLACE(" + sql + ", '{" + name + "}', " + value + ")"
    return f"SUBSTR({sql}, 1, 300)"  # the summary column's length


def label_sql(column: str, prefix: str) -> str:
    """SQL turning a choice code into its label (parameters `label_<prefix>_<code>`)."""
    choices = LABELLED_CHOICES[prefix]
    whens = " ".join(f"WHEN '{value}' THEN %(label_{prefix}_{value})s" for value in choices.values)
    return f"CASE {column} {whens} ELSE {column} END"


def case_events_write(
    run: "NightStatements", *, kind: str, case_id: str, summary: str, data: str, source: str, params=None
) -> int:
    """
    Timeline lines, one per row of `source` (FROM ... WHERE ...): the one
    place the lifecycle writes CaseEvent rows. `case_id`, `summary` and `data`
    are SQL over `source`'s rows; no actor (the nightly run), no notes.
    """
    return run.execute(
        f"INSERT INTO {EVENT_TABLE} (case_id, occurred_at, kind, actor_id, summary, notes, data) "  # noqa: S608
        f"SELECT {case_id}, %(now)s, '{kind}', NULL, {summary}, '', {data} {source}",
        params,
    )
