"""
Limitation periods: China's three years from the last installment, restarted
by a payment, a promise, a demand letter, a signed arrangement or a filing;
the US's years per portfolio and state from the date of default; what the
case page, the queues and the legal officer's list show of them.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from collection.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    LimitationStart,
    Stage,
)
from legal.limitation import (
    Restart,
    case_limitation,
    case_limitation_refresh,
    limitation_refresh_all,
    period_compute,
    years_after,
)
from legal.models import LetterKind, StateLimitation
from lending.models import Payment
from lending.services import LENDER_TZ, lender_today
from tests.collection.factories import PortfolioFactory, PromiseToPayFactory, case_in_arrears
from tests.legal.factories import DocumentFactory, LegalPolicyFactory, LitigationFileFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)
L = LimitationStart


def days_ago(days: int) -> datetime.date:
    return lender_today() - datetime.timedelta(days=days)


def moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=LENDER_TZ)


def past_case(**fields) -> Case:
    """A case whose six installments have all fallen due: the last one 50 days ago."""
    return case_in_arrears(days_past_due=200, **fields)


def last_due(case: Case) -> datetime.date:
    account = case.case_accounts.get().account
    return account.installments.order_by("-due_on").first().due_on


def pay(case: Case, day: datetime.date, *, status=Payment.Status.APPLIED) -> Payment:
    account = case.case_accounts.get().account
    return Payment.objects.create(
        external_id=f"P-{account.pk}-{day}-{status}",
        account=account,
        amount=Decimal("100.00"),
        received_at=moment(day),
        channel=Payment.Channel.APP,
        status=status,
    )


# --- The arithmetic ----------------------------------------------------------------------------------


def test_three_years_from_the_last_installment_s_due_date():
    period = period_compute(account_id=1, law="cn", years=3, start_on=datetime.date(2025, 6, 30), today=TODAY)
    assert period.expires_on == datetime.date(2028, 6, 30)
    assert (period.started_on, period.started_by) == (datetime.date(2025, 6, 30), L.DUE_DATE)


def test_a_period_whose_last_installment_is_not_yet_due_has_not_started():
    period = period_compute(account_id=1, law="cn", years=3, start_on=TODAY + datetime.timedelta(days=1), today=TODAY)
    assert period.expires_on is None and not period.has_started
    assert period_compute(account_id=1, law="cn", years=3, start_on=None, today=TODAY).expires_on is None


def test_a_leap_day_plus_three_years_is_the_28th_of_february():
    assert years_after(datetime.date(2024, 2, 29), 3) == datetime.date(2027, 2, 28)
    assert years_after(datetime.date(2024, 2, 29), 4) == datetime.date(2028, 2, 29)
    period = period_compute(account_id=1, law="cn", years=3, start_on=datetime.date(2024, 2, 29), today=TODAY)
    assert period.expires_on == datetime.date(2027, 2, 28)


def test_each_restart_runs_the_period_again_in_full_and_the_last_counts():
    start = datetime.date(2024, 1, 10)
    restarts = [
        Restart(datetime.date(2025, 3, 1), L.PAYMENT),
        Restart(datetime.date(2026, 5, 20), L.DEMAND),
        Restart(datetime.date(2025, 9, 9), L.PROMISE),
    ]
    period = period_compute(account_id=1, law="cn", years=3, start_on=start, restarts=restarts, today=TODAY)
    assert (period.started_on, period.started_by) == (datetime.date(2026, 5, 20), L.DEMAND)
    assert period.expires_on == datetime.date(2029, 5, 20)


def test_a_restart_before_the_start_or_after_expiry_changes_nothing():
    start = datetime.date(2020, 1, 10)
    restarts = [
        Restart(datetime.date(2019, 12, 1), L.PAYMENT),  # before the last installment fell due
        Restart(datetime.date(2023, 6, 1), L.PROMISE),  # after it expired on 2023-01-10
    ]
    period = period_compute(account_id=1, law="cn", years=3, start_on=start, restarts=restarts, today=TODAY)
    assert period.expires_on == datetime.date(2023, 1, 10)
    assert period.started_by == L.DUE_DATE
    assert period.is_expired(TODAY)


def test_under_us_law_only_a_filing_restarts_the_clock():
    start = datetime.date(2024, 1, 10)
    restarts = [Restart(datetime.date(2025, 3, 1), L.PAYMENT), Restart(datetime.date(2025, 4, 1), L.DEMAND)]
    period = period_compute(account_id=1, law="us", years=4, start_on=start, restarts=restarts, today=TODAY)
    assert (period.expires_on, period.started_by) == (datetime.date(2028, 1, 10), L.DEFAULT)
    filed = period_compute(
        account_id=1,
        law="us",
        years=4,
        start_on=start,
        restarts=[*restarts, Restart(datetime.date(2026, 2, 2), L.FILING)],
        today=TODAY,
    )
    assert (filed.expires_on, filed.started_by) == (datetime.date(2030, 2, 2), L.FILING)


# --- From the data: what restarts it ------------------------------------------------------------------


def test_a_case_s_period_runs_from_its_last_installment():
    case = past_case()
    period = case_limitation(case)
    assert period.started_on == last_due(case)
    assert period.expires_on == years_after(last_due(case), 3)
    assert period.started_by == L.DUE_DATE


def test_a_case_whose_last_installment_is_ahead_has_no_period_yet():
    case = case_in_arrears(days_past_due=20)
    assert case_limitation(case) is None
    assert case_limitation_refresh(case=case) is False
    case.refresh_from_db()
    assert case.limitation_expires_on is None and case.limitation_restarted_by == ""


def test_a_payment_restarts_it_and_a_reversed_one_does_not():
    case = past_case()
    pay(case, days_ago(10))
    pay(case, days_ago(2), status=Payment.Status.REVERSED)
    assert case_limitation_refresh(case=case) is True
    case.refresh_from_db()
    assert case.limitation_restarted_on == days_ago(10)
    assert case.limitation_restarted_by == L.PAYMENT
    assert case.limitation_expires_on == years_after(days_ago(10), 3)


def test_a_promise_to_pay_restarts_it():
    case = past_case()
    PromiseToPayFactory(case=case, created_at=moment(days_ago(5)))
    case_limitation_refresh(case=case)
    case.refresh_from_db()
    assert (case.limitation_restarted_on, case.limitation_restarted_by) == (days_ago(5), L.PROMISE)
    assert case.limitation_expires_on == years_after(days_ago(5), 3)


def test_a_demand_letter_restarts_it_and_a_payoff_certificate_does_not():
    case = past_case()
    DocumentFactory(case=case, kind=LetterKind.FORMAL_DEMAND, issued_on=days_ago(7))
    DocumentFactory(case=case, kind=LetterKind.PAYOFF_CERTIFICATE, issued_on=days_ago(1))
    case_limitation_refresh(case=case)
    case.refresh_from_db()
    assert (case.limitation_restarted_on, case.limitation_restarted_by) == (days_ago(7), L.DEMAND)


def test_a_granted_arrangement_restarts_it_and_a_rejected_one_does_not():
    case = past_case()
    common = {"case": case, "kind": ArrangementKind.EXTENSION, "currency": "CNY", "requested_at": timezone.now()}
    Arrangement.objects.create(**common, status=ArrangementStatus.COMPLETED, decided_at=moment(days_ago(9)))
    Arrangement.objects.create(**common, status=ArrangementStatus.REJECTED, decided_at=moment(days_ago(3)))
    case_limitation_refresh(case=case)
    case.refresh_from_db()
    assert (case.limitation_restarted_on, case.limitation_restarted_by) == (days_ago(9), L.ARRANGEMENT)


def test_a_filing_restarts_it():
    case = past_case(stage=Stage.LEGAL)
    pay(case, days_ago(20))
    LitigationFileFactory(case=case, filed_on=days_ago(4))
    case_limitation_refresh(case=case)
    case.refresh_from_db()
    assert (case.limitation_restarted_on, case.limitation_restarted_by) == (days_ago(4), L.FILING)


def test_the_us_period_is_the_state_s_or_else_the_portfolio_s_from_the_date_of_default():
    portfolio = PortfolioFactory(code="us", name="US", jurisdiction="us", is_default=False)
    policy = LegalPolicyFactory(portfolio=portfolio, limitation_years=5)
    StateLimitation.objects.create(policy=policy, state="TX", years=4)
    texan = past_case(portfolio=portfolio)
    texan.borrower.province = "tx"
    texan.borrower.save(update_fields=["province"])
    elsewhere = past_case(portfolio=portfolio)
    elsewhere.borrower.province = "OH"
    elsewhere.borrower.save(update_fields=["province"])
    pay(texan, days_ago(10))  # does not restart the US clock (legal/limitation/periods.py)

    default_on = texan.case_accounts.get().account.oldest_unpaid_due_on
    period = case_limitation(texan)
    assert (period.started_on, period.started_by, period.state) == (default_on, L.DEFAULT, "TX")
    assert period.expires_on == years_after(default_on, 4)
    other = case_limitation(elsewhere)
    assert other.expires_on == years_after(elsewhere.case_accounts.get().account.oldest_unpaid_due_on, 5)


def test_the_us_default_without_a_policy_is_three_years():
    portfolio = PortfolioFactory(code="us", name="US", jurisdiction="us", is_default=False)
    case = past_case(portfolio=portfolio)
    default_on = case.case_accounts.get().account.oldest_unpaid_due_on
    assert case_limitation(case).expires_on == years_after(default_on, 3)


# --- The nightly refresh ---------------------------------------------------------------------------


def test_the_nightly_refresh_writes_every_open_case_once_in_few_queries(django_assert_max_num_queries):
    cases = [past_case() for _ in range(12)]
    for index, case in enumerate(cases[:6]):
        pay(case, days_ago(index + 1))
    not_started = case_in_arrears(days_past_due=20)
    # One chunk: the ids, ten reads of facts, one bulk update, the files' check (and savepoints).
    with django_assert_max_num_queries(16):
        changed = limitation_refresh_all(chunk=1000)
    assert changed == 12
    for index, case in enumerate(cases):
        case.refresh_from_db()
        expected = days_ago(index + 1) if index < 6 else last_due(case)
        assert case.limitation_restarted_on == expected
        assert case.limitation_expires_on == years_after(expected, 3)
    not_started.refresh_from_db()
    assert not_started.limitation_expires_on is None
    # Run twice: the second run changes nothing.
    assert limitation_refresh_all() == 0


def test_the_refresh_is_the_same_chunk_by_chunk():
    cases = [past_case() for _ in range(5)]
    pay(cases[3], days_ago(3))
    assert limitation_refresh_all(chunk=2) == 5
    cases[3].refresh_from_db()
    assert cases[3].limitation_restarted_by == L.PAYMENT


def test_the_refresh_is_the_nightly_chains_last_step_and_its_task_still_runs_by_hand():
    from collection.nightly.steps import nightly_steps
    from legal.limitation.tasks import limitation_refresh_all_task

    steps = nightly_steps()
    assert steps[-1].name == "limitation"
    assert [step.name for step in steps].index("limitation") > [step.name for step in steps].index("lifecycle")
    past_case()
    assert limitation_refresh_all_task.apply().get() == 1


# --- What users see --------------------------------------------------------------------------------


def _with_expiry(case: Case, expires_on: datetime.date, by=L.PAYMENT) -> Case:
    case.limitation_expires_on = expires_on
    case.limitation_restarted_on = expires_on - datetime.timedelta(days=3 * 365)
    case.limitation_restarted_by = by
    case.save(update_fields=["limitation_expires_on", "limitation_restarted_on", "limitation_restarted_by"])
    return case


def test_the_case_page_shows_the_expiry_and_what_restarted_it(client, collector):
    case = past_case(collector=collector)
    pay(case, days_ago(10))
    case_limitation_refresh(case=case)
    client.force_login(collector)
    response = client.get(reverse("collection:case_detail", args=[case.pk]))
    text = response.text
    assert 'id="case-limitation"' in text and 'data-state="running"' in text
    assert years_after(days_ago(10), 3).strftime("%Y") in text
    assert "Payment" in text
    assert 'data-testid="limitation-warning"' not in text


@pytest.mark.parametrize(
    ("days", "state", "words"), [(30, "warning", "Expires in 30 days."), (-4, "expired", "Expired 4 days ago")]
)
def test_the_case_page_warns_within_90_days_and_when_expired(client, collector, days, state, words):
    case = _with_expiry(past_case(collector=collector), lender_today() + datetime.timedelta(days=days))
    client.force_login(collector)
    text = client.get(reverse("collection:case_detail", args=[case.pk])).text
    assert f'data-state="{state}"' in text
    assert words in text


def test_the_queue_filters_cases_whose_limitation_expires_within_90_days(client, collector):
    soon = _with_expiry(past_case(collector=collector), lender_today() + datetime.timedelta(days=80))
    expired = _with_expiry(past_case(collector=collector), lender_today() - datetime.timedelta(days=1))
    _with_expiry(past_case(collector=collector), lender_today() + datetime.timedelta(days=200))
    past_case(collector=collector)  # no period recorded
    client.force_login(collector)
    response = client.get(reverse("collection:my_queue"), {"limitation_soon": "on"})
    shown = {row.record.pk for row in response.context["table"].paginated_rows}
    assert shown == {soon.pk, expired.pk}
    assert "Limitation expires within 90 days" in response.text


# --- The legal officer's list ----------------------------------------------------------------------


def test_the_list_shows_the_legal_officer_legal_stage_cases_expiring_soon_nearest_first(
    client, legal_officer, django_assert_max_num_queries
):
    later = _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=60))
    sooner = _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=5))
    expired = _with_expiry(past_case(stage=Stage.LEGAL), lender_today() - datetime.timedelta(days=2))
    _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=120))
    _with_expiry(past_case(stage=Stage.LATE), lender_today() + datetime.timedelta(days=5))  # not theirs
    for _index in range(20):
        _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=70))
    client.force_login(legal_officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("legal:limitation_list"))
    assert response.status_code == 200
    rows = [row.record.pk for row in response.context["table"].paginated_rows]
    assert rows[:3] == [expired.pk, sooner.pk, later.pk]
    assert len(rows) == 23
    assert 'data-state="expired"' in response.text and 'data-state="warning"' in response.text


def test_a_manager_sees_every_stage_on_the_list(client, manager):
    legal = _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=5))
    late = _with_expiry(past_case(stage=Stage.LATE), lender_today() + datetime.timedelta(days=6))
    closed = _with_expiry(
        past_case(status="closed", closed_on=lender_today()), lender_today() + datetime.timedelta(days=7)
    )
    client.force_login(manager)
    response = client.get(reverse("legal:limitation_list"))
    rows = [row.record.pk for row in response.context["table"].paginated_rows]
    assert rows == [legal.pk, late.pk]
    assert closed.pk not in rows


def test_the_list_pages_fifty_at_a_time(client, manager):
    for day in range(55):
        _with_expiry(past_case(stage=Stage.LEGAL), lender_today() + datetime.timedelta(days=day % 80))
    client.force_login(manager)
    first = client.get(reverse("legal:limitation_list"))
    assert len(list(first.context["table"].paginated_rows)) == 50
    second = client.get(reverse("legal:limitation_list"), {"page": 2})
    assert len(list(second.context["table"].paginated_rows)) == 5


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.FIELD_AGENT, Role.AGENCY_AGENT])
def test_roles_that_do_not_work_legal_get_403(client, user_of_role, role):
    client.force_login(user_of_role(role))
    assert client.get(reverse("legal:limitation_list")).status_code == 403


def test_the_list_answers_get_only(client, legal_officer):
    client.force_login(legal_officer)
    assert client.post(reverse("legal:limitation_list")).status_code == 405


def test_a_visitor_is_sent_to_log_in(client):
    assert client.get(reverse("legal:limitation_list")).status_code == 302
