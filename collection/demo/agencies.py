"""
The demo's outside agencies (seed_demo_agencies, after the collection and
automation demos): two agencies with their contracts (one paid by bucket at
placement, one by days since placement, showing different borrower details)
and their users; late-stage cases placed with each a few weeks back as one
batch each; the agencies' calls and promises, payments on some placed
accounts and the commission they earn; one case recalled; and last month's
commission statement of the first agency, approved.

Everything goes through the services a user's click would call (the agency
and contract services, placing, assigning, the contact log with its
compliance guard, promises, lending's payment_record, the commission sweep,
the statement). Placing "a few weeks back" is the one rewrite: the placement
service stamps the moment of placing as now, so the demo moves that moment
(and the timeline's "placed" line) to the morning of the back-dated day.
"""

import datetime
import random
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.demo import demo_locale
from accounts.models import User
from collection.demo.rows import _local_moment, _pick
from collection.errors import CollectionError
from collection.models import (
    Agency,
    AgencyContract,
    AgencyField,
    AnsweredBy,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    EvaluationOutcome,
    Outcome,
    Placement,
    RecallReason,
    Stage,
    TierBasis,
)
from lending.models import ContactPoint, CreditAccount, Payment

AGENCIES_EXIST = _("The demo agencies are loaded already.")
NO_MANAGER = _("Load the demo staff first (seed_demo_staff): the agencies are set up by the demo manager.")

# code, name in Chinese, name in English, licence, unified social credit code, contact, phone, e-mail, address
DEMO_AGENCIES = [
    (
        "HXCS",
        "华信催收服务有限公司",
        "Huaxin Collection Services Co., Ltd.",
        "沪金催许〔2024〕017号",
        "91310115MA1H8XK27Q",
        ("周建国", "Zhou Jianguo"),
        "021-6088 1760",
        "partners@huaxin-collect.example",
        ("上海市浦东新区张杨路 1188 号 12 楼", "12F, 1188 Zhangyang Road, Pudong, Shanghai"),
    ),
    (
        "JDZC",
        "金盾资产管理有限公司",
        "Jindun Asset Management Co., Ltd.",
        "粤金催许〔2025〕042号",
        "91440300MA5G2RJ61C",
        ("林晓燕", "Lin Xiaoyan"),
        "0755-8330 2291",
        "service@jindun-am.example",
        ("深圳市福田区深南大道 6008 号 8 楼", "8F, 6008 Shennan Avenue, Futian, Shenzhen"),
    ),
]
# username, agency code, supervisor
DEMO_MEMBERS = [("agency", "HXCS", False), ("agency-lead", "HXCS", True), ("agency2", "JDZC", False)]
# How many late cases each agency gets, and how many days ago they were placed.
PLACED = {"HXCS": (16, 45), "JDZC": (8, 24)}
# An agency's calls: (who answered, the outcome), weighted.
CALLS = [
    ((AnsweredBy.BORROWER, Outcome.RIGHT_PARTY_CONTACT), 4),
    ((AnsweredBy.NOBODY, Outcome.NO_ANSWER), 4),
    ((AnsweredBy.NOBODY, Outcome.SWITCHED_OFF), 2),
    ((AnsweredBy.BORROWER, Outcome.REFUSED_TO_PAY), 1),
]


def _morning(day: datetime.date) -> datetime.datetime:
    from lending.services.calendar import LENDER_TZ

    return datetime.datetime.combine(day, datetime.time(9, 30), tzinfo=LENDER_TZ)


def _agencies_make(*, manager, today: datetime.date, locale: str, currency: str, regions: list[str]) -> dict:
    from collection.agencies.services import TierDraft, agency_save, contract_save, evaluation_record

    made = {}
    for code, name_zh, name_en, licence, registration, contact, phone, email, address in DEMO_AGENCIES:
        zh = locale == "zh"
        agency = agency_save(
            agency=Agency(
                code=code,
                name=name_zh if zh else name_en,
                licence_number=licence,
                registration_number=registration,
                contact_name=contact[0] if zh else contact[1],
                contact_phone=phone,
                contact_email=email,
                address=address[0] if zh else address[1],
            ),
            actor=manager,
        )
        made[code] = agency
    hx, jd = made["HXCS"], made["JDZC"]
    # Huaxin: paid by the bucket the case was in when placed, sees phones, addresses and the employer.
    contract_save(
        contract=AgencyContract(
            agency=hx,
            reference="HX-2026-01",
            starts_on=today - datetime.timedelta(days=300),
            ends_on=today + datetime.timedelta(days=65),
            currency=currency,
            tier_basis=TierBasis.BUCKET,
            flat_fee_per_case=Decimal("10.00"),
            placement_days=90,
            max_caseload=500,
            visible_fields=[AgencyField.PHONE, AgencyField.ADDRESS, AgencyField.EMPLOYER],
        ),
        tiers=[
            TierDraft(rate=Decimal("0.1000"), bucket="M2"),
            TierDraft(rate=Decimal("0.1200"), bucket="M3"),
            TierDraft(rate=Decimal("0.1800")),  # any other bucket: M4 and later
        ],
        actor=manager,
    )
    # Jindun: paid more for money collected early in the placement, works three provinces, sees phones only.
    contract_save(
        contract=AgencyContract(
            agency=jd,
            reference="JD-2026-03",
            starts_on=today - datetime.timedelta(days=120),
            ends_on=today + datetime.timedelta(days=245),
            currency=currency,
            tier_basis=TierBasis.DAYS_PLACED,
            flat_fee_per_case=Decimal("0.00"),
            placement_days=60,
            max_caseload=200,
            regions=regions,
            visible_fields=[AgencyField.PHONE],
        ),
        tiers=[
            TierDraft(rate=Decimal("0.1500"), min_days=0, max_days=30),
            TierDraft(rate=Decimal("0.1200"), min_days=31, max_days=60),
            TierDraft(rate=Decimal("0.0800"), min_days=61),
        ],
        actor=manager,
    )
    # Huaxin's yearly evaluation falls due within the month: the Agencies page says so.
    evaluation_record(
        agency=hx,
        evaluated_on=today - datetime.timedelta(days=345),
        outcome=EvaluationOutcome.APPROVED,
        notes="" if locale != "zh" else "合规抽检 40 通录音，无违规。",
        actor=manager,
    )
    evaluation_record(
        agency=jd,
        evaluated_on=today - datetime.timedelta(days=110),
        outcome=EvaluationOutcome.CONDITIONAL,
        notes=(
            "投诉率偏高：三个月内复评。" if locale == "zh" else "Complaint rate high: re-evaluate within three months."
        ),
        actor=manager,
    )
    return made


def _members_link(*, agencies: dict, manager) -> dict[str, User]:
    from collection.agencies.services import member_link

    users = {user.username: user for user in User.objects.filter(username__in=[row[0] for row in DEMO_MEMBERS])}
    for username, code, supervisor in DEMO_MEMBERS:
        if username in users:
            member_link(user=users[username], agency=agencies[code], is_supervisor=supervisor, actor=manager)
    return users


def _late_cases(currency: str) -> list[int]:
    """
    The late stage's open cases that can be placed (not held, not in legal, not placed) and whose borrower
    may be called (not flagged deceased, bankrupt or do-not-contact), most overdue first.
    """
    from collection.agencies.placement import cases_read

    rows = list(
        Case.objects.exclude(status=CaseStatus.CLOSED)
        .filter(stage=Stage.LATE, currency=currency, agency__isnull=True)
        .exclude(borrower__is_deceased=True)
        .exclude(borrower__is_bankrupt=True)
        .exclude(borrower__do_not_contact=True)
        .exclude(borrower__cease_contact_requested=True)
        .order_by("-days_past_due", "id")
        .values_list("pk", flat=True)
    )
    placeable = {pk for pk, row in cases_read(rows).items() if not row.refusal}
    return [pk for pk in rows if pk in placeable]


def _regions_of(case_ids: list[int], count: int = 3) -> list[str]:
    """The provinces most of these cases' borrowers live in (ties by name): Jindun's regions."""
    tally: dict[str, int] = {}
    for province in Case.objects.filter(pk__in=case_ids).values_list("borrower__province", flat=True):
        if province:
            tally[province] = tally.get(province, 0) + 1
    return sorted(sorted(tally), key=lambda name: -tally[name])[:count]


def _place(*, agency, case_ids, days_ago: int, today: datetime.date, manager, note: str):
    from collection.agencies.placement import cases_place

    placed_on = today - datetime.timedelta(days=days_ago)
    batch = cases_place(case_ids=case_ids, agency=agency, actor=manager, placed_on=placed_on, note=note)
    # The service stamps the moment of placing as now; the demo's batch was placed that morning.
    moment = _morning(placed_on)
    Placement.objects.filter(batch=batch).update(placed_at=moment)
    CaseEvent.objects.filter(case_id__in=case_ids, code="placed", data__batch=batch.pk).update(occurred_at=moment)
    return batch


def _phone(case: Case, at: datetime.datetime) -> ContactPoint | None:
    """The borrower's own phone an agent would dial at `at`: the first the guard allows (never a wrong number)."""
    from collection.compliance import contact_check

    points = ContactPoint.objects.filter(
        borrower_id=case.borrower_id,
        owner=ContactPoint.Owner.BORROWER,
        kind__in=[ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE],
    ).order_by("-is_primary", "kind", "id")
    for point in points:
        if contact_check(case=case, channel=Channel.CALL, contact_point=point, at=at).allowed:
            return point
    return None


def _calls(*, placement: Placement, agent, rng, now, counts) -> list:
    """A few calls by the agency's agent on days after placement, through the contact log and its guard."""
    from collection.services.contacts import contact_log

    case = placement.case
    zone = case.borrower.time_zone or "Asia/Shanghai"
    days = range(1, max((now.date() - placement.placed_on).days, 4))
    moments = [
        _local_moment(placement.placed_on + datetime.timedelta(days=offset), zone, rng, earliest=10, latest=19)
        for offset in sorted(rng.sample(days, k=3))
    ]
    moments = [at for at in moments if at < now]
    point = _phone(case, moments[0]) if moments else None
    if point is None:
        return []
    spoken = []
    for at in moments:
        answered_by, outcome = _pick(rng, CALLS)
        try:
            contact = contact_log(
                case=case,
                channel=Channel.CALL,
                contact_point=point,
                answered_by=answered_by,
                outcome=outcome,
                duration_seconds=rng.randint(40, 420) if answered_by == AnsweredBy.BORROWER else 0,
                actor=agent,
                at=at,
            )
        except CollectionError:  # the guard refused (the day's cap, a hold): it logged the refusal
            counts["calls refused by the guard"] += 1
            continue
        counts["agency calls"] += 1
        if answered_by == AnsweredBy.BORROWER:
            spoken.append(contact)
    return spoken


def _promise(*, placement: Placement, contact, agent, rng, today, counts) -> None:
    from collection.services.promises import promise_record

    case = Case.objects.get(pk=placement.case_id)
    amount = (case.overdue_total * Decimal(rng.choice(["0.3", "0.5", "1"]))).quantize(Decimal("1"), ROUND_DOWN)
    if amount <= 0:
        return
    try:
        promise_record(
            case=case,
            amount=amount,
            due_on=today + datetime.timedelta(days=rng.randint(2, 12)),
            actor=agent,
            contact=contact,
        )
    except CollectionError:
        return
    counts["agency promises"] += 1


def _payments(*, placement: Placement, rng, now, counts, number: int) -> None:
    """One or two payments on the case's longest-overdue account after it was placed."""
    from lending.services import payment_record

    account = (
        CreditAccount.objects.filter(case_memberships__case_id=placement.case_id, case_memberships__left_on=None)
        .order_by("oldest_unpaid_due_on", "id")
        .first()
    )
    if account is None:
        return
    span = max(int((now - placement.placed_at).total_seconds() // 3600) - 2, 2)
    for index in range(number):
        received_at = placement.placed_at + datetime.timedelta(hours=rng.randint(24, span))
        if received_at >= now:
            continue
        base = placement.overdue_at_placement or placement.balance_at_placement
        amount = (base * Decimal(rng.choice(["0.2", "0.35", "0.5"]))).quantize(Decimal("10"), ROUND_DOWN)
        if amount <= 0:
            continue
        payment_record(
            account=account,
            external_id=f"DEMO-AGENCY-{placement.case_id}-{index + 1}",
            amount=amount,
            received_at=received_at,
            channel=rng.choice([Payment.Channel.AGENCY, Payment.Channel.APP, Payment.Channel.BANK_TRANSFER]),
        )
        counts["payments on placed cases"] += 1


def agencies_demo(*, seed: int, today: datetime.date | None = None) -> dict[str, int]:
    """Load the demo agencies (see the module's docstring); refuses when they exist already."""
    from collection.agencies.commission import commission_lines_attribute
    from collection.agencies.portal import placements_assign
    from collection.agencies.recall import placement_recall
    from collection.agencies.statements import month_start, statement_approve, statement_generate

    if Agency.objects.exists():
        raise ValueError(str(AGENCIES_EXIST))
    manager = User.objects.filter(username="manager").first()
    if manager is None:
        raise ValueError(str(NO_MANAGER))
    rng = random.Random(seed)
    now = timezone.now()
    today = today or timezone.localdate()
    locale = demo_locale()
    counts = dict.fromkeys(
        ("agencies", "cases placed", "agency calls", "calls refused by the guard", "agency promises"), 0
    )
    counts.update({"payments on placed cases": 0, "commission lines": 0, "cases recalled": 0, "statements": 0})
    currency = (
        Case.objects.exclude(status=CaseStatus.CLOSED).values_list("currency", flat=True).order_by("id").first()
        or "CNY"
    )
    with transaction.atomic():
        late = _late_cases(currency)
        regions = _regions_of(late)
        agencies = _agencies_make(manager=manager, today=today, locale=locale, currency=currency, regions=regions)
        counts["agencies"] = len(agencies)
        users = _members_link(agencies=agencies, manager=manager)
        in_regions = set(Case.objects.filter(pk__in=late, borrower__province__in=regions).values_list("pk", flat=True))
        # Jindun takes up to a third of them (in its regions), Huaxin the rest, each within its demo share.
        jd_cases = [pk for pk in late if pk in in_regions][: min(PLACED["JDZC"][0], len(late) // 3)]
        hx_cases = [pk for pk in late if pk not in set(jd_cases)][: PLACED["HXCS"][0]]
        batches = {}
        for code, case_ids in (("HXCS", hx_cases), ("JDZC", jd_cases)):
            if case_ids:
                note = "催收季度外包" if locale == "zh" else "Quarterly outsourcing"
                batches[code] = _place(
                    agency=agencies[code],
                    case_ids=case_ids,
                    days_ago=PLACED[code][1],
                    today=today,
                    manager=manager,
                    note=note,
                )
                counts["cases placed"] += len(case_ids)
        # Huaxin's supervisor gives half the batch to the agent `agency`; the rest stays in the agency's pool.
        lead, agent, agent_two = users.get("agency-lead"), users.get("agency"), users.get("agency2")
        if "HXCS" in batches and lead and agent and len(hx_cases) > 1:
            placements_assign(case_ids=hx_cases[: len(hx_cases) // 2], agent=agent, actor=lead)
    placements = list(
        Placement.objects.filter(batch__in=list(batches.values()))
        .select_related("case__borrower", "agency")
        .order_by("id")
    )
    for placement in placements:
        worker = agent_two if placement.agency.code == "JDZC" else (agent if placement.agent_id else lead)
        if worker is None:
            continue
        spoken = _calls(placement=placement, agent=worker, rng=rng, now=now, counts=counts)
        if spoken and rng.random() < 0.6:
            _promise(placement=placement, contact=spoken[-1], agent=worker, rng=rng, today=today, counts=counts)
        if rng.random() < 0.5:
            _payments(placement=placement, rng=rng, now=now, counts=counts, number=rng.choice([1, 1, 2]))
    counts["commission lines"] = commission_lines_attribute(until=now)
    # One case comes back: its borrower asked to deal with the lender directly.
    unpaid = [p for p in placements if p.agency.code == "HXCS" and not p.commission_lines.exists()]
    if unpaid:
        note = (
            "借款人要求直接与贷款机构协商" if locale == "zh" else "The borrower asked to deal with the lender directly"
        )
        placement_recall(placement=unpaid[-1], reason=RecallReason.MANUAL, actor=manager, note=note)
        counts["cases recalled"] = 1
    if "HXCS" in batches:
        last_month = month_start(month_start(today) - datetime.timedelta(days=1))
        statement = statement_generate(agency=agencies["HXCS"], month=last_month, actor=manager)
        statement_approve(statement=statement, actor=manager)
        counts["statements"] = 1
    return counts
