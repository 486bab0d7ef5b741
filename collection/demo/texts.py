"""
The collection demo's fixed inputs: the refusals it raises, the demo teams'
work rules and the collectors' capacities, lending.demo's lateness reasons
mapped to collection's, the weighted outcomes of a call, and the notes the
demo's staff wrote, in both demo locales ("en", "zh").
"""

from django.utils.translation import gettext_lazy as _

from collection.models import LatenessReason, Outcome

DEMO_HISTORY_EXISTS = _("The cases already have a contact history: the collection demo loads only once.")
DEMO_NO_STAFF = _("Load the demo staff first (manage.py seed_demo_staff).")

# Demo teams (accounts/demo.py, by key: their names follow the demo's locale) and the cases they work.
TEAM_RULES = [
    # team key, order, buckets
    ("early", 10, ["M1"]),
    ("late", 20, ["M2", "M3", "M4", "M5", "M6", "M6+"]),
]
CAPACITIES = {"collector": 300, "zhou": 250, "wu": 200, "huang": 300, "xu": 250}

# lending.demo's reasons → the collection reason codes.
REASONS = {
    "lost_income": LatenessReason.LOST_INCOME,
    "illness": LatenessReason.ILLNESS,
    "over_borrowing": LatenessReason.OVER_BORROWING,
    "reminder_missed": LatenessReason.REMINDER_NOT_RECEIVED,
    "dispute_goods": LatenessReason.DISPUTE_GOODS,
    "forgot": LatenessReason.UNKNOWN,
    "unreachable": LatenessReason.UNKNOWN,
}

# What a call to the borrower's phone turns into, with weights.
CALL_OUTCOMES = [
    (Outcome.NO_ANSWER, 34),
    (Outcome.BUSY, 8),
    (Outcome.SWITCHED_OFF, 7),
    (Outcome.RIGHT_PARTY_CONTACT, 22),
    (Outcome.CALL_BACK, 8),
    (Outcome.PROMISED, 9),
    (Outcome.CLAIMS_HARDSHIP, 3),
    (Outcome.REFUSED_TO_PAY, 2),
    (Outcome.WRONG_NUMBER, 2),
]
NOT_CONNECTED = {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF}
# What the demo's collectors, leads and field agents wrote, in the demo lender's
# language (their own words: stored as written, like every note).
NOTES = {
    "en": {
        Outcome.RIGHT_PARTY_CONTACT: "Borrower confirmed the amount; will check salary date.",
        Outcome.PROMISED: "Borrower agreed to pay; reminded of the due date and the app payment link.",
        Outcome.CALL_BACK: "Borrower in a meeting, asked to be called back this afternoon.",
        Outcome.CLAIMS_HARDSHIP: "Borrower says income dropped; asked for documents for a hardship review.",
        Outcome.REFUSED_TO_PAY: "Borrower refuses to pay until the merchant refunds the order.",
        Outcome.WRONG_NUMBER: "The person answering does not know the borrower.",
        "third_party": "Asked only how to reach the borrower; the debt was not mentioned.",
        "dispute": "Borrower says the goods never arrived; merchant asked for the delivery proof.",
        "cease_contact": "Written request to stop calls.",
        "hardship_plan": "Hardship: three monthly payments of the overdue amount.",
        "visit_reason": "No right-party contact for weeks; confirm the borrower lives at the address.",
        "visit_met": "Met the borrower at home; explained the overdue amount and the options.",
        "visit_not_met": "Nobody at home; neighbour confirmed the borrower still lives here.",
    },
    "zh": {
        Outcome.RIGHT_PARTY_CONTACT: "借款人确认欠款金额，将核对发薪日。",
        Outcome.PROMISED: "借款人同意还款；已提醒还款日期和 App 还款入口。",
        Outcome.CALL_BACK: "借款人在开会，要求今天下午回电。",
        Outcome.CLAIMS_HARDSHIP: "借款人称收入下降；已请其提供困难审核所需材料。",
        Outcome.REFUSED_TO_PAY: "借款人表示商家退款前拒绝还款。",
        Outcome.WRONG_NUMBER: "接听人不认识借款人。",
        "third_party": "仅询问如何联系借款人，未提及欠款。",
        "dispute": "借款人称未收到商品；已请商家提供物流签收证明。",
        "cease_contact": "书面要求停止来电。",
        "hardship_plan": "困难救助：逾期金额分三个月偿还。",
        "visit_reason": "数周未能联系到本人；请核实借款人是否居住在该地址。",
        "visit_met": "在家中见到借款人；已说明逾期金额及可选方案。",
        "visit_not_met": "家中无人；邻居确认借款人仍住在此处。",
    },
}
