"""
The accounts of the demo portfolio: what was lent on each (a revolving line's
purchases, an installment purchase, a cash loan), its schedule, who paid which
installment when and what that charged, and the account's figures as the
nightly run computes them. `AccountRows` is a part of `PortfolioGenerator`.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING

from lending.demo.book import (
    FROZEN_AFTER_DAYS,
    LINE_CUT_AFTER_DAYS,
    PRODUCT_BY_CODE,
    REVOLVING_LIMITS_YUAN,
    ZERO,
    lateness_reason,
)

if TYPE_CHECKING:
    from lending.demo.generator import Chunk

# Installments in the order they fall due: (due_on, number).
_due_order = itemgetter(3, 0)


class AccountRows:
    """The account, installment and limit change rows of `PortfolioGenerator`."""

    def _order_reference(self, lent_on: int) -> str:
        day = self.iso(lent_on).replace("-", "")
        if self.locale == "zh":
            return f"JD{day}{self.digits(8)}"
        return f"ORD-{day}-{self.digits(6)}"

    def _account(self, chunk: Chunk, borrower_id, kind, opened_on, grade, habit, target_dpd):
        rand = self.rng.random
        as_of = self.as_of_ord
        money = self.money
        scale = self.amount_scale
        self.account_seq += 1
        account_id = self._next_id("account")
        external_id = f"A{self.account_seq:09d}"

        # What was lent: (lent_on, amount in cents, months, order reference)
        purchases = []
        bill_day = None
        if kind == "revolving":
            # A revolving line has one bill a month: every purchase's installments fall due on its day.
            bill_day = 1 + int(rand() * 28)
            product = PRODUCT_BY_CODE["credit-line"]
            limits = REVOLVING_LIMITS_YUAN[grade]
            limit = int(limits[int(rand() * len(limits))] * scale) * 100
            months_open = (as_of - opened_on) / 30.4
            count = 1 + int(min(months_open, 24) / 6 * rand())
            pick_term = self.term_pickers[product.code]
            for index in range(count):
                lent_on = opened_on if index == 0 else opened_on + int(rand() * (as_of - opened_on))
                amount = int(50 * 100 * scale * (1 + 59 * rand() ** 2.2))
                purchases.append((lent_on, min(amount, limit // count), pick_term(), self._order_reference(lent_on)))
            purchases.sort()
        elif kind == "installment":
            product = PRODUCT_BY_CODE[self.pick_installment_product()]
            amount = int(300 * 100 * scale * (1 + 60 * rand() ** 2.5))
            purchases.append((opened_on, amount, product.terms[0][0], self._order_reference(opened_on)))
            limit = -(-amount // 10_000) * 10_000  # the purchase, rounded up to 100
        else:
            product = PRODUCT_BY_CODE["cash-loan"]
            amount = int(1000 * scale * (2 + 48 * rand() ** 2)) * 100
            purchases.append((opened_on, amount, self.term_pickers[product.code](), ""))
            limit = amount

        rate_e4, cap_e4, penalty_e6, grace, late_fee = self.product_terms[product.code]
        # Each installment: (number, reference, lent_on, due_on, principal, interest), in number order.
        schedule = []
        add = schedule.append
        number = 0
        for lent_on, amount, months, reference in purchases:
            base, extra = divmod(amount, months)
            first_due = self.add_months(lent_on, 1) if bill_day is None else self._bill_date(lent_on + 20, bill_day)
            charged = rate_e4 and months > 1
            for k, due_on in enumerate(self._dues(first_due, months), 1):
                number += 1
                principal = base + 1 if k <= extra else base
                # Simple interest on the installment's own principal from the day it was lent.
                interest = (principal * rate_e4 * (due_on - lent_on) * 2 + 3_650_000) // 7_300_000 if charged else 0
                add((number, reference, lent_on, due_on, principal, interest))
        # A single purchase falls due in number order; a revolving line's purchases interleave.
        by_due = sorted(schedule, key=_due_order) if len(purchases) > 1 else schedule

        # Who pays what when. An account in arrears stops paying at the
        # installment that makes its days past due about the target.
        cutoff = None
        if target_dpd:
            past = [row[3] for row in by_due if row[3] < as_of]
            if past:
                # The due date whose days past due come nearest the target.
                cutoff = min(past, key=lambda due: abs(as_of - due - target_dpd))
                if abs(as_of - cutoff - target_dpd) > 31:
                    # Nothing fell due at the right time (say a purchase paid off long ago): this account stays clean.
                    cutoff = None
        # The day each installment (by number) was paid off, or None.
        paid_on_by_number = [None] * (number + 1)
        previous = 0
        last_due = last_paid = None
        # Installments due up to here can be paid: the as-of date, or the day before the cutoff.
        payable_until = as_of if cutoff is None else min(as_of, cutoff - 1)
        for row in by_due:
            due_on = row[3]
            if due_on == last_due:
                # The same bill (a revolving line's purchases fall due together): paid together or not at all.
                if last_paid is not None:
                    paid_on_by_number[row[0]] = last_paid
                continue
            if due_on > payable_until:
                break  # not yet due, or the account stopped paying here: nothing later is paid
            last_due, last_paid = due_on, None
            if due_on == as_of:
                if rand() < 0.5:
                    paid_on_by_number[row[0]] = last_paid = previous = as_of
                continue
            roll = rand()
            if habit == "on_time":
                lateness = -int(rand() * 6)
            elif habit == "sometimes_late":
                lateness = -int(rand() * 4) if roll < 0.85 else 1 + int(rand() * 10)
            else:
                lateness = (
                    -int(rand() * 3) if roll < 0.65 else 1 + int(rand() * 14) if roll < 0.9 else 15 + int(rand() * 75)
                )
            paid_on = max(due_on + lateness, previous, row[2] + 1)
            if paid_on > as_of:
                break  # still unpaid: so is everything after it
            paid_on_by_number[row[0]] = last_paid = previous = paid_on

        near = self.iso_near
        near_base = self.iso_near_base
        cents = self.cents_text
        money_cached = self.money_cached
        rows = chunk.installments
        add = rows.append
        unpaid_principal = 0
        outstanding = 0
        overdue_principal = overdue_interest = 0
        oldest_unpaid = None
        next_id = self.ids["installment"]
        self.ids["installment"] += len(schedule)
        for number, reference, lent_on, due_on, principal, interest in schedule:
            next_id += 1
            paid_on = paid_on_by_number[number]
            principal_text = cents.get(principal) or money_cached(principal)
            interest_text = cents.get(interest) or money_cached(interest)
            if paid_on is None:
                unpaid_principal += principal
                outstanding += principal + interest
                if due_on < as_of:
                    overdue_principal += principal
                    overdue_interest += interest
                    if oldest_unpaid is None or due_on < oldest_unpaid:
                        oldest_unpaid = due_on
                # Penalty and the late fee of what is unpaid are the nightly run's to accrue.
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, False, None, None,
                    )
                )  # fmt: skip
                continue
            days_late = paid_on - due_on
            if days_late > grace:
                # Charges of a late installment, within the cap on interest + fees + penalty,
                # as the nightly run charges them: the fee once, penalty for the days after the grace days.
                room = max(0, (principal * cap_e4 * (paid_on - lent_on) * 2 + 3_650_000) // 7_300_000 - interest)
                fee = min(late_fee, room)
                penalty = min((principal * penalty_e6 * (days_late - grace) * 2 + 1_000_000) // 2_000_000, room - fee)
                fee_text, penalty_text = money(fee), money(penalty)
                paid_text = near[paid_on - near_base]
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, fee_text, penalty_text, principal_text, interest_text,
                        fee_text, penalty_text, True, paid_text, paid_text,
                    )
                )  # fmt: skip
            else:
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, ZERO, ZERO, principal_text, interest_text, ZERO, ZERO, False,
                        None, near[paid_on - near_base],
                    )
                )  # fmt: skip

        # The account's figures as the nightly run computes them before accruing anything, so that its run
        # for the as-of date rewrites only the accounts whose penalty and fees it accrues.
        days_past_due = as_of - oldest_unpaid if oldest_unpaid is not None else 0
        status = "active"
        new_limit = limit
        if days_past_due > FROZEN_AFTER_DAYS:
            status = "frozen"
        elif kind != "revolving" and unpaid_principal == 0:
            status = "closed"
        if kind == "revolving" and days_past_due > LINE_CUT_AFTER_DAYS:
            new_limit = 0
        available = 0 if status != "active" else max(0, new_limit - unpaid_principal)
        if days_past_due:
            self.lateness_reasons[external_id] = lateness_reason(external_id)
        bucket = self._bucket_by_days.get(days_past_due) or self._bucket(days_past_due)

        def text(cents_value):
            return cents.get(cents_value) or money_cached(cents_value)

        chunk.accounts.append(
            (
                account_id, external_id, borrower_id, self.product_ids[product.code], near[opened_on - near_base],
                text(new_limit), text(available), status, days_past_due, bucket,
                near[oldest_unpaid - near_base] if oldest_unpaid is not None else None,
                text(overdue_principal), text(overdue_interest), ZERO, ZERO, text(outstanding), ZERO,
            )
        )  # fmt: skip
        if kind != "revolving":
            return  # the limit of a single purchase or loan is its amount: set once, never changed
        limit_rows = chunk.limit_changes
        limit_rows.append(
            (
                self._next_id("limit_change"), account_id, self._timestamp(opened_on, 10, 0), ZERO, money(limit),
                "intake", "", None,
            )
        )  # fmt: skip
        if new_limit != limit:
            cut_on = oldest_unpaid + LINE_CUT_AFTER_DAYS + 1
            limit_rows.append(
                (
                    self._next_id("limit_change"), account_id, self._timestamp(cut_on, 2, 0), money(limit), "0.00",
                    "delinquency", f"Line cut at {LINE_CUT_AFTER_DAYS} days past due", None,
                )
            )  # fmt: skip
