"""
Steps 3-5 and 7 of the lifecycle: cases and the accounts in them coming and
going.

3. **Open** a case for each borrower with a delinquent account (days past
   due > 0) and no open case: in the portfolio of the product of the
   borrower's most overdue account (the default portfolio when the product
   is in none), in that product's currency.
4. **Join**: every delinquent account of a borrower with an open case that is
   in no open case joins it (`joined_on`).
5. **Leave**: an account with nothing past due leaves (`left_on`).
7. **Close** a case with no account left — paid in full when nothing is
   outstanding, else cured — or whose settlement was completed (settled; its
   accounts leave, and an account that left a settled case never joins a case
   again: the lender accepted the lump sum, and lending's figures still show
   the forgiven rest until the core system writes it off). Active
   arrangements of a closing case end as completed: the arrears they were for
   are gone.

(Step 6, the figures, runs between leave and close: figures.py.)
"""

from collection.lifecycle.arrangements import arrangements_end
from collection.lifecycle.stages import EARLY_STAGE_MAX_DAYS
from collection.lifecycle.statements import OPEN, NightStatements, T
from collection.lifecycle.timeline import case_events_write
from collection.models import ArrangementKind, ArrangementStatus, CaseStatus, CloseOutcome, EventKind, Stage


def _not_settled(account: str) -> str:
    """An account that left a settled case is not collected again (the few settled accounts, read once)."""
    return (
        f"{account}.id NOT IN (SELECT sm.account_id FROM {T['member']} sm "  # noqa: S608
        f"JOIN {T['case']} sc ON sc.id = sm.case_id WHERE sc.close_outcome = '{CloseOutcome.SETTLED}')"
    )


CASE_COLUMNS = (
    "borrower_id, portfolio_id, opened_on, closed_on, close_outcome, stage, status, reason, currency, "
    "days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees, overdue_penalty, overdue_total, "
    "outstanding_balance, team_id, assigned_to_id, assigned_at, worked_by_id, worked_until, next_action_at, "
    "priority, broken_promises, has_broken_promise, promise_due_on, last_contact_at, "
    "last_right_party_contact_at, created_at, updated_at"
)


def cases_open(run: NightStatements) -> int:
    """Open the new cases (step 3); how many opened."""
    d = run.dialect
    return run.execute(
        f"""
        INSERT INTO {T["case"]} ({CASE_COLUMNS})
        SELECT l.borrower_id, COALESCE(l.portfolio_id, %(default_portfolio)s), {d.as_of}, NULL, '',
               CASE WHEN l.days_past_due > {EARLY_STAGE_MAX_DAYS} THEN '{Stage.LATE}' ELSE '{Stage.EARLY}' END,
               '{CaseStatus.OPEN}', 'unknown', l.currency,
               l.days_past_due, '', 0, 0, 0, 0, 0, 0,
               NULL, NULL, NULL, NULL, NULL, NULL,
               0, 0, {d.false}, NULL, NULL,
               NULL, %(now)s, %(now)s
        FROM (
            SELECT a.borrower_id, a.days_past_due, p.currency,
                   (SELECT MIN(pp.portfolio_id) FROM {T["portfolio_product"]} pp
                    WHERE pp.creditproduct_id = a.product_id) AS portfolio_id,
                   ROW_NUMBER() OVER (PARTITION BY a.borrower_id ORDER BY a.days_past_due DESC, a.id) AS lead_order
            FROM {T["account"]} a
            JOIN {T["product"]} p ON p.id = a.product_id
            WHERE a.days_past_due > 0
              AND a.borrower_id NOT IN (SELECT c.borrower_id FROM {T["case"]} c WHERE c.{OPEN})
              AND {_not_settled("a")}
        ) l
        WHERE l.lead_order = 1
        """  # noqa: S608
    )


def accounts_join(run: NightStatements) -> int:
    """Delinquent accounts join their borrower's open case (step 4); how many joined."""
    d = run.dialect
    # NOT IN (...), not NOT EXISTS: PostgreSQL reads the open memberships once, before the INSERT
    # below adds to that same table (probing it row by row while it grows was quadratic on the first night).
    source = f"""
        FROM {T["account"]} a
        JOIN {T["case"]} c ON c.borrower_id = a.borrower_id AND c.{OPEN}
        WHERE a.days_past_due > 0
          AND a.id NOT IN (SELECT m.account_id FROM {T["member"]} m WHERE m.left_on IS NULL)
          AND {_not_settled("a")}
    """  # noqa: S608
    case_events_write(
        run,
        kind=EventKind.ACCOUNT,
        code="'account_joined'",
        case_id="c.id",
        data=d.json(account="a.external_id", account_id="a.id", days_past_due="a.days_past_due"),
        source=source,
    )
    return run.execute(
        f"INSERT INTO {T['member']} (case_id, account_id, joined_on, left_on) "  # noqa: S608
        f"SELECT c.id, a.id, {d.as_of}, NULL {source}"
    )


def accounts_leave(run: NightStatements) -> int:
    """Accounts with nothing past due leave their case (step 5); how many left."""
    d = run.dialect
    cured = f"""
        FROM {T["member"]} m
        JOIN {T["account"]} a ON a.id = m.account_id
        JOIN {T["case"]} c ON c.id = m.case_id
        WHERE m.left_on IS NULL AND a.days_past_due = 0 AND c.{OPEN}
    """  # noqa: S608
    _accounts_left_events(run, case_id="c.id", code="account_left", days_past_due="0", source=cured)
    return run.execute(
        f"UPDATE {T['member']} AS mm SET left_on = {d.as_of} "  # noqa: S608
        f"FROM (SELECT m.id {cured}) f WHERE mm.id = f.id"
    )


def _accounts_left_events(run: NightStatements, *, case_id: str, code: str, days_past_due: str, source: str):
    """The timeline line (`code`) of each account `a` leaving its case (one per row of `source`)."""
    case_events_write(
        run,
        kind=EventKind.ACCOUNT,
        code=f"'{code}'",
        case_id=case_id,
        data=run.dialect.json(account="a.external_id", account_id="a.id", days_past_due=days_past_due),
        source=source,
    )


def cases_close(run: NightStatements) -> dict[str, int]:
    """Close the cases with no account left or a completed settlement; the closed cases by outcome."""
    d = run.dialect
    settled = (
        f"EXISTS (SELECT 1 FROM {T['arrangement']} r WHERE r.case_id = c.id "  # noqa: S608
        f"AND r.kind = '{ArrangementKind.SETTLEMENT}' AND r.status = '{ArrangementStatus.COMPLETED}')"
    )
    closing = (
        f"c.{OPEN} AND (NOT EXISTS (SELECT 1 FROM {T['member']} m WHERE m.case_id = c.id AND m.left_on IS NULL) "  # noqa: S608
        f"OR {settled})"
    )
    outcome = (
        f"CASE WHEN {settled} THEN '{CloseOutcome.SETTLED}' "
        f"WHEN c.outstanding_balance <= 0 THEN '{CloseOutcome.PAID_IN_FULL}' ELSE '{CloseOutcome.CURED}' END"
    )
    cases = f"(SELECT c.id, c.status, {outcome} AS outcome FROM {T['case']} c WHERE {closing}) x"  # noqa: S608
    counts = dict(run.rows(f"SELECT x.outcome, COUNT(*) FROM {cases} GROUP BY x.outcome"))  # noqa: S608
    if not counts:
        return {}
    case_events_write(
        run,
        kind=EventKind.STATUS,
        code="'closed'",
        case_id="x.id",
        data=d.json(**{"from": "x.status"}, to=f"'{CaseStatus.CLOSED}'", outcome="x.outcome"),
        source=f"FROM {cases}",
    )
    run.execute(
        f"""
        UPDATE {T["case"]} AS c SET status = '{CaseStatus.CLOSED}', close_outcome = {outcome},
               closed_on = {d.as_of}, next_action_at = NULL, worked_by_id = NULL, worked_until = NULL,
               updated_at = %(now)s
        WHERE {closing}
        """  # noqa: S608
    )
    closed_today = f"SELECT c.id FROM {T['case']} c WHERE c.status = '{CaseStatus.CLOSED}' AND c.closed_on = {d.as_of}"  # noqa: S608
    # What is still attached to the cases closed today: their active arrangements end, the requests still
    # waiting for approval are withdrawn (nothing is left to arrange), their accounts leave.
    arrangements_end(
        run,
        condition=f"r.case_id IN ({closed_today})",
        status=ArrangementStatus.COMPLETED,
        code="arrangement_ended",
    )
    arrangements_end(
        run,
        condition=f"r.case_id IN ({closed_today})",
        status=ArrangementStatus.CANCELLED,
        code="arrangement_withdrawn",
        ending=ArrangementStatus.PENDING_APPROVAL,
    )
    leaving = (
        f"FROM {T['member']} m JOIN {T['account']} a ON a.id = m.account_id "
        f"WHERE m.left_on IS NULL AND m.case_id IN ({closed_today})"
    )
    _accounts_left_events(
        run, case_id="m.case_id", code="account_left_closed", days_past_due="a.days_past_due", source=leaving
    )
    run.execute(
        f"UPDATE {T['member']} AS mm SET left_on = {d.as_of} "  # noqa: S608
        f"WHERE mm.left_on IS NULL AND mm.case_id IN ({closed_today})"
    )
    return counts
