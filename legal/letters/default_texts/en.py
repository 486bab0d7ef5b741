"""The default English letter texts: (subject, body) by kind. Sandboxed templates (docs/letters.md)."""

TEXTS = {
    "overdue_notice": (
        "Overdue payment notice",
        """<p>Dear {{ borrower.name }},</p>
<p>Our records show that the instalment of your credit account {{ account_numbers|join(", ") }} that fell due on
{{ oldest_due_on|date("long") }} has not been paid. Your account is now {{ days_past_due }} days past due, and
{{ amounts.total|money(currency) }} is overdue, as itemised below.</p>
<p>If you have already paid, please accept our thanks and disregard this notice. Otherwise, please pay the overdue
amount by {{ deadline|date("long") }} through one of the channels listed below, quoting the case number
{{ case_number }}. Paying promptly stops further penalty interest from accruing and protects your credit record.</p>
<p>If you are having difficulty paying, for example because of a loss of income or illness, please call us on
{{ lender.phone }}: we can discuss a repayment arrangement that suits your circumstances.</p>""",
    ),
    "formal_demand": (
        "Formal demand for payment",
        """<p>Dear {{ borrower.name }},</p>
<p>Despite our earlier reminders, the amounts due under your credit account {{ account_numbers|join(", ") }} remain
unpaid. The oldest unpaid instalment fell due on {{ oldest_due_on|date("long") }}, and the account is
{{ days_past_due }} days past due.</p>
<p>We hereby formally demand payment of {{ amounts.total|money(currency) }}, made up as set out below, no later than
{{ deadline|date("long") }}. Penalty interest continues to accrue under the terms of your credit agreement until the
overdue amount is paid in full.</p>
<p>Please pay only through the designated channels listed below and quote the reference {{ case_number }}. If you
dispute this debt, or any part of it, please tell us in writing before the date above, stating your reasons, and we
will look into it.</p>""",
    ),
    "final_notice": (
        "Final notice before legal action",
        """<p>Dear {{ borrower.name }},</p>
<p>This is our final notice concerning your credit account {{ account_numbers|join(", ") }}, which is
{{ days_past_due }} days past due. Our previous letters and calls have not led to payment or to an agreed
arrangement.</p>
<p>Unless {{ amounts.total|money(currency) }} is paid in full by {{ deadline|date("long") }}, or you contact us
before that date to agree a repayment arrangement, {{ lender.name }} intends to commence legal proceedings against
you without further notice to recover the whole outstanding balance of {{ amounts.outstanding|money(currency) }},
together with interest, penalty interest within the legal limits, and the costs of the proceedings as the court may
award.</p>
<p>Legal proceedings may result in a judgment against you and in its enforcement. You can avoid this by paying now
through one of the designated channels below, quoting {{ case_number }}, or by calling us on {{ lender.phone }}.</p>
<p>If you believe that you do not owe this debt, please tell us in writing before the date above.</p>""",
    ),
    "lawyers_letter": (
        "Lawyer's letter: demand for repayment of overdue debt",
        """<p>Dear {{ borrower.name }},</p>
<p>We act for {{ lender.name }} (“our client”) in respect of your credit account
{{ account_numbers|join(", ") }}. Our client instructs us that, in breach of your credit agreement, you have failed
to repay the instalments due since {{ oldest_due_on|date("long") }}, and that the account is {{ days_past_due }}
days past due despite repeated demands.</p>
<p>On our client's instructions we formally demand that you pay {{ amounts.total|money(currency) }}, as itemised
below, by {{ deadline|date("long") }}, through one of our client's designated payment channels, quoting the
reference {{ case_number }}.</p>
<p>If payment is not received by that date, we have instructions to commence legal proceedings against you without
further notice, to claim the full outstanding balance of {{ amounts.outstanding|money(currency) }} together with
interest, penalty interest within the limits permitted by law, and legal costs, and thereafter to apply for
enforcement of any judgment obtained.</p>
<p>Should you wish to propose a repayment arrangement, or if you dispute the debt, please contact our client on
{{ lender.phone }} before the date above.</p>
<p>{{ lender.law_firm }}, on behalf of {{ lender.name }}</p>""",
    ),
    "settlement_offer": (
        "Offer to settle your account",
        """<p>Dear {{ borrower.name }},</p>
<p>Your credit account {{ account_numbers|join(", ") }} has an outstanding balance of
{{ amounts.outstanding|money(currency) }}. To help you resolve this debt, {{ lender.name }} offers to accept
<strong>{{ settlement.amount|money(currency) }}</strong> in full and final settlement, waiving
{{ settlement.waived|money(currency) }}.</p>
<p>This offer is valid until {{ settlement.valid_until|date("long") }}. To accept it, pay the settlement amount in a
single payment by that date through one of the designated channels below, quoting {{ case_number }}. Once the
payment is received, your account will be closed as settled and we will send you a confirmation.</p>
<p>If the settlement amount is not received in full by that date, this offer lapses and the full balance remains
payable. This offer does not waive any of our rights under your credit agreement until it is accepted as
above.</p>""",
    ),
    "arrangement_confirmation": (
        "Confirmation of your repayment arrangement",
        """<p>Dear {{ borrower.name }},</p>
{% if arrangement %}<p>We confirm the repayment arrangement agreed for your credit account
{{ account_numbers|join(", ") }}. You will pay {{ arrangement.total_to_pay|money(currency) }} in total, as
follows:</p>
<ul>
{% for item in arrangement.installments %}<li>Payment {{ item.number }}: {{ item.amount|money(currency) }} by
{{ item.due_on|date("long") }}</li>
{% endfor %}</ul>
{% if arrangement.concession %}<p>Provided every payment is made on time, {{ lender.name }} waives
{{ arrangement.concession|money(currency) }}.</p>{% endif %}
{% else %}<p>We confirm the repayment arrangement agreed for your credit account
{{ account_numbers|join(", ") }}.</p>{% endif %}
<p>Please pay each amount on time through one of the designated channels below, quoting {{ case_number }}. While
you keep to the arrangement we will not take further collection action on the account. If a payment is missed,
the arrangement may be cancelled and the full balance become payable.</p>
<p>If your circumstances change, please call us on {{ lender.phone }} before a payment falls due.</p>""",
    ),
    "payoff_certificate": (
        "Payoff certificate",
        """<p>To whom it may concern,</p>
<p>{{ lender.name }} certifies that {{ borrower.name }} has repaid in full all amounts due under credit account
{{ account_numbers|join(", ") }} (case {{ case_number }}){% if payoff.paid_off_on %}, the final payment having been
received on {{ payoff.paid_off_on|date("long") }}{% endif %}.</p>
<p>As at {{ issued_on|date("long") }}, no principal, interest, penalty interest or fees remain outstanding on this
account, and {{ lender.name }} has no further claim against {{ borrower.name }} under it. The account's repayment
will be reported to the credit bureau in the next monthly report.</p>
<p>This certificate is issued at the borrower's request.</p>""",
    ),
    "assignment_notice": (
        "Notice of assignment of debt",
        """<p>Dear {{ borrower.name }},</p>
<p>We give you notice that, with effect from {{ assignment.assigned_on|date("long") }}, {{ lender.name }} has
assigned all its rights in respect of your credit account {{ account_numbers|join(", ") }}, including the
outstanding balance of {{ amounts.outstanding|money(currency) }}, to {{ assignment.assignee_name }}.</p>
<p>The assignment does not change the amount you owe or the terms of your credit agreement. Any defence you had
against {{ lender.name }} remains available to you against {{ assignment.assignee_name }}.</p>
<p>Until {{ assignment.assignee_name }} writes to you with its own payment details, please continue to pay only
through the designated channels listed below, quoting {{ case_number }}. Do not pay anyone else who contacts you
about this debt without first checking with us on {{ lender.phone }}.</p>""",
    ),
}
