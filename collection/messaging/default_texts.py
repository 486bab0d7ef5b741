"""
The default message templates (every kind and channel in English and
Simplified Chinese), version 1, installed by migration 0009.

The texts are polite and lawful: they say who writes, what is due and how to
pay, never threaten, and name no one but the borrower. The opt-out line is not
in them: the renderer adds the one the borrower's jurisdiction requires. Each
SMS leaves room for it in the first segment with the longest realistic
values (a test renders every one: tests/collection/messaging/test_default_texts.py);
a Chinese SMS goes as UCS-2, 70 characters, so it stays short.
"""

from collection.models import MessageKind

SMS, EMAIL, IN_APP = "sms", "email", "in_app"
EN, ZH = "en", "zh-hans"

_PAY_EN = (
    "You can pay through:\n"
    "{% for c in payment_channels %}- {{ c.name }}: {{ c.instructions }}\n{% endfor %}"
    "Please quote {{ reference }} with your payment."
)
_PAY_ZH = (
    "还款方式：\n{% for c in payment_channels %}- {{ c.name }}：{{ c.instructions }}\n{% endfor %}"
    "还款时请注明编号 {{ reference }}。"
)
_SIGN_EN = (
    "\n\nIf you have already paid, please disregard this message. If you cannot pay in full, call us on "
    "{{ lender.phone }}: we will look for a solution with you.\n\n{{ lender.name }}"
)
_SIGN_ZH = (
    "\n\n如您已还款，请忽略本消息。如一时无法足额还款，请致电 {{ lender.phone }}，"
    "我们将与您协商解决办法。\n\n{{ lender.name }}"
)

# (kind, channel, language) -> (subject, body)
TEXTS = {
    # --- Before the due date ------------------------------------------------------------------
    (MessageKind.PRE_DUE_REMINDER, SMS, EN): (
        "",
        "Hi {{ borrower_name }}, {{ amount_due|money(currency) }} is due on {{ due_date|date }} "
        "({{ account_number }}). Thank you.",
    ),
    (MessageKind.PRE_DUE_REMINDER, SMS, ZH): (
        "",
        "{{ borrower_name }}您好，您的账单{{ amount_due|money(currency) }}将于{{ due_date|date }}到期，请按时还款。",
    ),
    (MessageKind.PRE_DUE_REMINDER, EMAIL, EN): (
        "Your payment of {{ amount_due|money(currency) }} is due on {{ due_date|date }}",
        "Dear {{ borrower_name }},\n\nThis is a friendly reminder that your installment of "
        "{{ amount_due|money(currency) }} on account {{ account_number }} is due on {{ due_date|date('long') }}.\n\n"
        + _PAY_EN
        + _SIGN_EN,
    ),
    (MessageKind.PRE_DUE_REMINDER, EMAIL, ZH): (
        "您的账单{{ amount_due|money(currency) }}将于{{ due_date|date }}到期",
        "尊敬的{{ borrower_name }}：\n\n温馨提示：您的账户{{ account_number }}本期应还"
        "{{ amount_due|money(currency) }}，到期日为{{ due_date|date('long') }}。\n\n" + _PAY_ZH + _SIGN_ZH,
    ),
    (MessageKind.PRE_DUE_REMINDER, IN_APP, EN): (
        "",
        "Your installment of {{ amount_due|money(currency) }} is due on {{ due_date|date }}. Tap Repay to pay it now.",
    ),
    (MessageKind.PRE_DUE_REMINDER, IN_APP, ZH): (
        "",
        "您本期账单{{ amount_due|money(currency) }}将于{{ due_date|date }}到期，点击“还款”即可按时还款。",
    ),
    # --- On the due date ----------------------------------------------------------------------
    (MessageKind.DUE_TODAY_REMINDER, SMS, EN): (
        "",
        "Hi {{ borrower_name }}, your payment of {{ amount_due|money(currency) }} is due today. Ref {{ reference }}.",
    ),
    (MessageKind.DUE_TODAY_REMINDER, SMS, ZH): (
        "",
        "{{ borrower_name }}您好，您的账单{{ amount_due|money(currency) }}今日到期，请今天内还款。",
    ),
    (MessageKind.DUE_TODAY_REMINDER, EMAIL, EN): (
        "Your payment of {{ amount_due|money(currency) }} is due today",
        "Dear {{ borrower_name }},\n\nYour installment of {{ amount_due|money(currency) }} on account "
        "{{ account_number }} is due today, {{ due_date|date('long') }}. Paying today keeps your account in "
        "good standing.\n\n" + _PAY_EN + _SIGN_EN,
    ),
    (MessageKind.DUE_TODAY_REMINDER, EMAIL, ZH): (
        "您的账单{{ amount_due|money(currency) }}今日到期",
        "尊敬的{{ borrower_name }}：\n\n您的账户{{ account_number }}本期应还{{ amount_due|money(currency) }}，"
        "今日（{{ due_date|date('long') }}）到期。请于今日还款，以免产生逾期。\n\n" + _PAY_ZH + _SIGN_ZH,
    ),
    (MessageKind.DUE_TODAY_REMINDER, IN_APP, EN): (
        "",
        "Your installment of {{ amount_due|money(currency) }} is due today. Tap Repay to pay it now.",
    ),
    (MessageKind.DUE_TODAY_REMINDER, IN_APP, ZH): (
        "",
        "您本期账单{{ amount_due|money(currency) }}今日到期，点击“还款”即可完成还款。",
    ),
    # --- After the due date -------------------------------------------------------------------
    (MessageKind.OVERDUE_REMINDER, SMS, EN): (
        "",
        "Hi {{ borrower_name }}, {{ amount_due|money(currency) }} is {{ days_past_due }} days overdue. "
        "Please pay, ref {{ reference }}.",
    ),
    (MessageKind.OVERDUE_REMINDER, SMS, ZH): (
        "",
        "账单已逾期{{ days_past_due }}天，应还{{ amount_due|money(currency) }}，请尽快还款。编号{{ reference }}",
    ),
    (MessageKind.OVERDUE_REMINDER, EMAIL, EN): (
        "Your payment of {{ amount_due|money(currency) }} is overdue",
        "Dear {{ borrower_name }},\n\nWe have not yet received your payment of {{ amount_due|money(currency) }}, "
        "due on {{ due_date|date('long') }} ({{ days_past_due }} days ago). Please pay as soon as you can.\n\n"
        + _PAY_EN
        + _SIGN_EN,
    ),
    (MessageKind.OVERDUE_REMINDER, EMAIL, ZH): (
        "您的账单{{ amount_due|money(currency) }}已逾期",
        "尊敬的{{ borrower_name }}：\n\n我们尚未收到您于{{ due_date|date('long') }}到期的还款"
        "{{ amount_due|money(currency) }}（已逾期{{ days_past_due }}天），请尽快还款。\n\n" + _PAY_ZH + _SIGN_ZH,
    ),
    (MessageKind.OVERDUE_REMINDER, IN_APP, EN): (
        "",
        "Your payment of {{ amount_due|money(currency) }} is {{ days_past_due }} days overdue. "
        "Tap Repay to pay now, or call {{ lender.phone }} if you need help.",
    ),
    (MessageKind.OVERDUE_REMINDER, IN_APP, ZH): (
        "",
        "您的账单已逾期{{ days_past_due }}天，应还{{ amount_due|money(currency) }}。点击“还款”立即还款，"
        "如需帮助请致电 {{ lender.phone }}。",
    ),
    # --- A request to pay what is overdue -----------------------------------------------------
    (MessageKind.PAYMENT_DEMAND, SMS, EN): (
        "",
        "{{ borrower_name }}, please pay overdue {{ amount_due|money(currency) }} on {{ reference }} "
        "or call {{ lender.phone }}.",
    ),
    (MessageKind.PAYMENT_DEMAND, SMS, ZH): (
        "",
        "您的欠款{{ amount_due|money(currency) }}已逾期，请尽快还款或致电{{ lender.phone }}。",
    ),
    (MessageKind.PAYMENT_DEMAND, EMAIL, EN): (
        "Please pay the overdue amount of {{ amount_due|money(currency) }} ({{ reference }})",
        "Dear {{ borrower_name }},\n\nYour account {{ account_number }} is {{ days_past_due }} days past due and "
        "{{ amount_overdue|money(currency) }} is overdue. We ask you to pay this amount, or to contact us to "
        "agree how you will pay it.\n\n" + _PAY_EN + _SIGN_EN,
    ),
    (MessageKind.PAYMENT_DEMAND, EMAIL, ZH): (
        "请尽快归还逾期款项{{ amount_due|money(currency) }}（{{ reference }}）",
        "尊敬的{{ borrower_name }}：\n\n您的账户{{ account_number }}已逾期{{ days_past_due }}天，"
        "逾期金额{{ amount_overdue|money(currency) }}。请您尽快还款，或与我们联系商定还款安排。\n\n"
        + _PAY_ZH
        + _SIGN_ZH,
    ),
    (MessageKind.PAYMENT_DEMAND, IN_APP, EN): (
        "",
        "{{ amount_overdue|money(currency) }} is overdue on your account. Please pay it, or call "
        "{{ lender.phone }} to agree a plan. Ref {{ reference }}.",
    ),
    (MessageKind.PAYMENT_DEMAND, IN_APP, ZH): (
        "",
        "您的账户逾期金额{{ amount_overdue|money(currency) }}，请尽快还款，或致电 {{ lender.phone }} 商定还款计划。"
        "编号{{ reference }}。",
    ),
    # --- A promise to pay ---------------------------------------------------------------------
    (MessageKind.PROMISE_REMINDER, SMS, EN): (
        "",
        "Hi {{ borrower_name }}, reminder: you promised to pay {{ promise_amount|money(currency) }} by "
        "{{ promise_due_date|date }}. Thanks.",
    ),
    (MessageKind.PROMISE_REMINDER, SMS, ZH): (
        "",
        "温馨提示：您承诺于{{ promise_due_date|date }}前还款{{ promise_amount|money(currency) }}，感谢您的配合。",
    ),
    (MessageKind.PROMISE_REMINDER, EMAIL, EN): (
        "Your promised payment of {{ promise_amount|money(currency) }}",
        "Dear {{ borrower_name }},\n\nThank you for agreeing to pay {{ promise_amount|money(currency) }} by "
        "{{ promise_due_date|date('long') }}. This is a reminder of that promise.\n\n" + _PAY_EN + _SIGN_EN,
    ),
    (MessageKind.PROMISE_REMINDER, EMAIL, ZH): (
        "您承诺的还款{{ promise_amount|money(currency) }}",
        "尊敬的{{ borrower_name }}：\n\n感谢您承诺于{{ promise_due_date|date('long') }}前还款"
        "{{ promise_amount|money(currency) }}，特此提醒。\n\n" + _PAY_ZH + _SIGN_ZH,
    ),
    (MessageKind.PROMISE_REMINDER, IN_APP, EN): (
        "",
        "A reminder of your promise to pay {{ promise_amount|money(currency) }} by {{ promise_due_date|date }}. "
        "Tap Repay to keep it.",
    ),
    (MessageKind.PROMISE_REMINDER, IN_APP, ZH): (
        "",
        "提醒：您承诺于{{ promise_due_date|date }}前还款{{ promise_amount|money(currency) }}，点击“还款”即可履约。",
    ),
    # --- A promise missed ---------------------------------------------------------------------
    (MessageKind.BROKEN_PROMISE, SMS, EN): (
        "",
        "{{ borrower_name }}, we did not receive your promised payment. Please pay or call {{ lender.phone }}.",
    ),
    (MessageKind.BROKEN_PROMISE, SMS, ZH): (
        "",
        "我们未收到您承诺的还款，请尽快还款或致电{{ lender.phone }}。",
    ),
    (MessageKind.BROKEN_PROMISE, EMAIL, EN): (
        "We did not receive your promised payment",
        "Dear {{ borrower_name }},\n\nWe have not received the payment you promised. "
        "{{ amount_overdue|money(currency) }} is overdue on account {{ account_number }}. Please pay it, or "
        "contact us so that we can agree a new date together.\n\n" + _PAY_EN + _SIGN_EN,
    ),
    (MessageKind.BROKEN_PROMISE, EMAIL, ZH): (
        "我们未收到您承诺的还款",
        "尊敬的{{ borrower_name }}：\n\n我们尚未收到您承诺的还款。您的账户{{ account_number }}逾期金额"
        "{{ amount_overdue|money(currency) }}，请尽快还款，或与我们联系重新商定还款日期。\n\n" + _PAY_ZH + _SIGN_ZH,
    ),
    (MessageKind.BROKEN_PROMISE, IN_APP, EN): (
        "",
        "We did not receive the payment you promised. Tap Repay to pay now, or call {{ lender.phone }}.",
    ),
    (MessageKind.BROKEN_PROMISE, IN_APP, ZH): (
        "",
        "我们未收到您承诺的还款，点击“还款”立即还款，或致电 {{ lender.phone }}。",
    ),
}

CHANGE_NOTE = "Default text"


def install_default_templates(apps, *, now) -> None:
    """Install the defaults with the historical models of `apps` (migration 0009); a template already there is kept."""
    MessageTemplate = apps.get_model("collection", "MessageTemplate")
    MessageTemplateVersion = apps.get_model("collection", "MessageTemplateVersion")
    for (kind, channel, language), (subject, body) in TEXTS.items():
        template, created = MessageTemplate.objects.get_or_create(
            channel=channel, kind=str(kind), language=language, defaults={"is_active": True}
        )
        if not created and template.current_version_id is not None:
            continue
        version = MessageTemplateVersion.objects.create(
            template=template, number=1, subject=subject, body=body, change_note=CHANGE_NOTE, created_at=now
        )
        template.current_version = version
        template.save(update_fields=["current_version"])
