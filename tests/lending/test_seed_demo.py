"""The demo portfolio: deterministic, believable, consistent to the cent, and careful with existing data."""

import datetime
import hashlib
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, Sum

from accounts.models import AuditEvent
from lending.demo import names, writers
from lending.demo.generator import PRODUCTS, lateness_reason, national_id_is_valid
from lending.demo.services import SEED_DATA_EXISTS, demo_portfolio_seed
from lending.management.commands.seed_demo import DEBUG_OFF
from lending.models import (
    Borrower,
    ContactPoint,
    CreditAccount,
    CreditLimitChange,
    CreditProduct,
    DelinquencyRun,
    DelinquencySnapshot,
    Installment,
    Payment,
    PaymentAllocation,
)
from tests.lending.factories import BorrowerFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 11, 28)
DIVISIONS = {
    division for _p, _w, cities in names.REGIONS_ZH for _c, _a, districts in cities for _d, division in districts
}


def seed(accounts=300, seed=7, **kwargs):
    kwargs.setdefault("as_of", AS_OF)
    return demo_portfolio_seed(accounts=accounts, seed=seed, **kwargs)


def digest() -> str:
    """A fingerprint of the portfolio's key columns (not of database ids)."""
    parts = [
        list(Borrower.objects.order_by("external_id").values_list("external_id", "name", "national_id", "province")),
        list(
            CreditAccount.objects.order_by("external_id").values_list(
                "external_id", "borrower__external_id", "product__code", "opened_on", "credit_limit", "status",
                "days_past_due", "bucket",
            )
        ),
        list(
            Installment.objects.order_by("account__external_id", "number").values_list(
                "account__external_id", "number", "order_reference", "due_on", "principal_due", "interest_due",
                "penalty_accrued", "paid_off_on",
            )
        ),
        list(Payment.objects.order_by("external_id").values_list("external_id", "amount", "channel", "received_at")),
        list(ContactPoint.objects.order_by("external_id").values_list("external_id", "kind", "value", "relation")),
    ]  # fmt: skip
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def test_same_seed_gives_the_same_portfolio_and_another_seed_another(buckets):
    seed(accounts=250, seed=7)
    first = digest()

    seed(accounts=250, seed=7, replace=True)
    assert digest() == first

    seed(accounts=250, seed=8, replace=True)
    assert digest() != first


def test_chunk_size_does_not_change_the_portfolio(buckets):
    seed(accounts=120, seed=3, chunk_size=10_000)
    whole = digest()
    seed(accounts=120, seed=3, chunk_size=7, replace=True)
    assert digest() == whole


def test_a_believable_book_of_two_thousand_accounts(buckets):
    result = seed(accounts=2000, seed=11)

    assert CreditAccount.objects.count() == 2000
    assert result.rows["account"] == 2000
    # Borrowers hold 1.3 accounts on average, several of them more than one.
    borrowers = Borrower.objects.count()
    assert 1400 <= borrowers <= 1700
    assert Borrower.objects.annotate(n=Count("accounts")).filter(n__gt=1).count() > 200

    # Roughly 5-8 % in arrears, most of them early, a tail beyond 180 days.
    in_arrears = CreditAccount.objects.filter(days_past_due__gt=0)
    share = in_arrears.count() / 2000
    assert 0.04 <= share <= 0.09, share
    assert in_arrears.filter(days_past_due__lte=30).count() > in_arrears.filter(days_past_due__gt=180).count() > 0
    # The deeply delinquent are frozen; every product is in use.
    assert not CreditAccount.objects.filter(days_past_due__gt=60).exclude(status="frozen").exists()
    assert CreditAccount.objects.filter(status="closed").exists()
    assert set(CreditAccount.objects.values_list("product__code", flat=True)) == {p.code for p in PRODUCTS}
    assert CreditProduct.objects.get(code="cash-loan").charges_cap_annual_rate == Decimal("0.1240")
    # Some borrowers paid late and cured: a late-paid installment on an account now current.
    cured = Installment.objects.filter(late_fee_charged=True, paid_off_on__isnull=False, account__days_past_due=0)
    assert cured.values("account").distinct().count() > 20
    # The nightly run has been: figures are as of the date, penalties accrued on what is overdue.
    assert DelinquencyRun.objects.filter(as_of=AS_OF).exists()
    assert DelinquencySnapshot.objects.filter(snapshot_date=AS_OF).count() == in_arrears.count()
    assert Installment.objects.filter(paid_off_on=None, due_on__lt=AS_OF, late_fee_charged=True).exists()
    # The generator's figures are the nightly run's: it rewrote only accounts whose charges it accrued.
    assert 0 < result.nightly.accounts_refreshed <= in_arrears.count()
    # Each account in arrears has a reason for lateness kept for the collection app.
    assert set(result.lateness_reasons) >= set(in_arrears.values_list("external_id", flat=True))
    assert all(result.lateness_reasons[key] == lateness_reason(key) for key in result.lateness_reasons)
    assert len(set(result.lateness_reasons.values())) >= 5

    _assert_money_consistent()
    _assert_people_consistent()


def _assert_money_consistent():
    # A payment is its allocations plus what it overpaid, to the cent.
    allocated = dict(
        PaymentAllocation.objects.values("payment").annotate(total=Sum("amount")).values_list("payment", "total")
    )
    payments = list(Payment.objects.values_list("id", "amount", "unapplied_amount"))
    assert payments
    for payment_id, amount, unapplied in payments:
        assert amount == allocated[payment_id] + unapplied
    assert any(unapplied > 0 for _id, _amount, unapplied in payments)
    # The overpayments are the accounts' credit.
    credit = dict(
        Payment.objects.filter(unapplied_amount__gt=0)
        .values("account")
        .annotate(total=Sum("unapplied_amount"))
        .values_list("account", "total")
    )
    assert credit == dict(CreditAccount.objects.filter(credit_balance__gt=0).values_list("id", "credit_balance"))

    # Allocations per installment and component are exactly what it shows paid; never more than due.
    by_component = defaultdict(Decimal)
    for installment_id, component, amount in PaymentAllocation.objects.values_list(
        "installment", "component", "amount"
    ):
        by_component[installment_id, component] += amount
    purchases = defaultdict(list)
    for row in Installment.objects.values():
        paid = {
            "principal": row["principal_paid"],
            "interest": row["interest_paid"],
            "fee": row["fee_paid"],
            "penalty": row["penalty_paid"],
        }
        for component, amount in paid.items():
            assert by_component.get((row["id"], component), Decimal("0")) == amount
        assert row["principal_paid"] <= row["principal_due"]
        assert row["interest_paid"] <= row["interest_due"]
        assert row["fee_paid"] <= row["fee_due"]
        assert row["penalty_paid"] <= row["penalty_accrued"]
        if row["paid_off_on"] is not None:
            assert (
                sum(paid.values())
                == row["principal_due"] + row["interest_due"] + row["fee_due"] + row["penalty_accrued"]
            )
        purchases[row["account_id"], row["order_reference"], row["lent_on"]].append(row)

    # A purchase's principal is split evenly to the cent; a loan's or a single purchase's sums to the amount lent.
    accounts = {a.id: a for a in CreditAccount.objects.select_related("product")}
    for (account_id, _reference, _lent_on), rows in purchases.items():
        principals = [row["principal_due"] for row in rows]
        assert max(principals) - min(principals) <= Decimal("0.01")
        account = accounts[account_id]
        if account.product.kind == CreditProduct.Kind.CASH_LOAN:
            assert sum(principals) == account.credit_limit
        elif account.product.kind == CreditProduct.Kind.INSTALLMENT:
            assert account.credit_limit - Decimal("100") < sum(principals) <= account.credit_limit
        else:
            assert re.fullmatch(r"JD\d{16}", rows[0]["order_reference"])
    # Installment numbers run 1..n on each account, a revolving line's purchases one after another.
    for account_id, numbers in _numbers_by_account().items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), account_id


def _numbers_by_account():
    numbers = defaultdict(list)
    for account_id, number in Installment.objects.values_list("account", "number"):
        numbers[account_id].append(number)
    return numbers


def _assert_people_consistent():
    for name, national_id, born, division_province in Borrower.objects.values_list(
        "name", "national_id", "date_of_birth", "province"
    ):
        assert 2 <= len(name) <= 4
        assert len(national_id) == 18
        assert national_id_is_valid(national_id), national_id
        assert national_id[6:14] == born.strftime("%Y%m%d")
        assert national_id[:6] in DIVISIONS
        assert division_province
    assert Borrower.objects.values("province").distinct().count() >= 20
    assert not Borrower.objects.exclude(time_zone="Asia/Shanghai").exists()

    third_parties = ContactPoint.objects.filter(owner=ContactPoint.Owner.THIRD_PARTY)
    assert third_parties.exists()
    assert not third_parties.filter(relation="").exists()
    assert not third_parties.filter(third_party_name="").exists()
    # Everyone has one primary mobile of their own; most consent to SMS, not all; consent carries its date.
    assert (
        ContactPoint.objects.filter(owner="borrower", kind="mobile", is_primary=True).count()
        == Borrower.objects.count()
    )
    mobiles = ContactPoint.objects.filter(owner="borrower", kind="mobile", is_primary=True)
    assert 0.7 < mobiles.filter(consent_sms=True).count() / mobiles.count() < 0.95
    assert not ContactPoint.objects.filter(consent_sms=True, consent_recorded_on=None).exists()
    assert ContactPoint.objects.filter(kind="email").exists()
    assert ContactPoint.objects.filter(kind="home_address").exists()
    assert ContactPoint.objects.filter(do_not_contact=True).exists()


def test_english_locale_gives_english_borrowers(buckets):
    seed(accounts=200, seed=5, locale="en")

    borrower = Borrower.objects.order_by("external_id").first()
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+", borrower.name)
    assert not Borrower.objects.exclude(language="en").exists()
    assert not Borrower.objects.exclude(time_zone__startswith="America/").exists()
    states = {state for state, *_rest in names.REGIONS_EN}
    assert set(Borrower.objects.values_list("province", flat=True)) <= states
    assert Borrower.objects.filter(district__endswith="County").exists()
    assert set(CreditProduct.objects.values_list("currency", flat=True)) == {"USD"}
    assert not ContactPoint.objects.filter(value__regex=r"[\u4e00-\u9fff]").exists()


def test_the_demo_floor_is_named_in_the_lenders_language(buckets):
    """Products, teams and staff in Chinese for a Chinese lender, in English for a US one; the same rows each time."""
    from accounts.demo import demo_staff_ensure
    from accounts.models import Team, User

    call_command("seed_demo", accounts=20, seed=1, as_of="2026-11-28", force=True)
    assert CreditProduct.objects.get(code="bnpl-6m").name == "6期分期"
    assert CreditProduct.objects.get(code="cash-loan").currency == "CNY"
    assert set(Team.objects.values_list("name", flat=True)) == {"早期催收一组", "后期催收组", "华东外访组", "法务组"}
    assert str(User.objects.get(username="collector")) == "李娜"
    teams = set(Team.objects.values_list("pk", flat=True))

    call_command("seed_demo", accounts=20, seed=1, as_of="2026-11-28", locale="en", force=True, replace=True)
    assert CreditProduct.objects.get(code="bnpl-6m").name == "6-month installments"
    assert set(CreditProduct.objects.values_list("currency", flat=True)) == {"USD"}
    assert set(Team.objects.values_list("name", flat=True)) == {
        "Early collections A", "Late collections", "Field visits East", "Legal",
    }  # fmt: skip
    assert set(Team.objects.values_list("pk", flat=True)) == teams  # renamed, not duplicated
    assert str(User.objects.get(username="collector")) == "Li Na"
    assert User.objects.get(username="huang").team.name == "Late collections"

    demo_staff_ensure()  # seed_demo_staff alone follows the portfolio's locale
    assert Team.objects.filter(name="Late collections").exists()
    assert str(User.objects.get(username="collector")) == "Li Na"


def test_command_refuses_to_load_over_existing_data(buckets):
    borrower = BorrowerFactory()

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo", accounts=20, seed=1, as_of="2026-11-28", force=True)

    assert str(raised.value) == str(SEED_DATA_EXISTS)
    assert list(Borrower.objects.all()) == [borrower]
    assert not CreditAccount.objects.exists()
    assert not AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").exists()


def test_command_replace_swaps_the_portfolio_and_keeps_the_audit_trail(buckets, capsys):
    call_command("seed_demo", accounts=40, seed=1, as_of="2026-11-28", force=True)
    events_before = AuditEvent.objects.count()
    first_portfolio = digest()

    call_command("seed_demo", accounts=30, seed=2, as_of="2026-11-28", force=True, replace=True)

    assert CreditAccount.objects.count() == 30
    assert digest() != first_portfolio
    assert Borrower.objects.count() == Borrower.objects.filter(accounts__isnull=False).distinct().count()
    assert not CreditLimitChange.objects.exclude(account__in=CreditAccount.objects.all()).exists()
    # Nothing of the trail is deleted; the new load and the staff are recorded.
    assert AuditEvent.objects.count() > events_before
    assert AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").count() == 2
    seeded = AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").latest("id")
    assert seeded.actor is None
    assert seeded.data["replaced"] is True
    # The demo staff are there too.
    from accounts.models import User

    assert User.objects.filter(username__in=["collector", "manager", "admin"]).count() == 3
    out = capsys.readouterr().out
    assert "Accounts in arrears:" in out
    assert re.search(r"account +30\n", out)


def test_command_if_empty_loads_once_and_then_leaves_the_portfolio_alone(buckets, capsys):
    call_command("seed_demo", accounts=25, seed=1, as_of="2026-11-28", force=True, if_empty=True)
    first = digest()
    events = AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").count()

    call_command("seed_demo", accounts=50, seed=9, as_of="2026-11-28", force=True, if_empty=True)

    assert CreditAccount.objects.count() == 25
    assert digest() == first
    assert AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").count() == events == 1
    assert "A portfolio is already loaded" in capsys.readouterr().out


def test_command_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    settings.DEMO = False

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo", accounts=10, seed=1)

    assert str(raised.value) == DEBUG_OFF
    assert not Borrower.objects.exists()


def test_new_rows_after_a_seed_get_fresh_ids(buckets):
    seed(accounts=30, seed=1)
    highest = Borrower.objects.order_by("-pk").first().pk

    borrower = BorrowerFactory()

    assert borrower.pk > highest


def test_national_id_check_digit():
    # GB 11643's published example.
    assert national_id_is_valid("11010519491231002X")
    assert not national_id_is_valid("110105194912310021")
    assert not national_id_is_valid("1101051949123100")


@pytest.mark.django_db(transaction=True)
def test_the_pipelined_load_writes_what_the_single_transaction_writes(buckets):
    # Inside a transaction the load is one transaction; outside one, on
    # PostgreSQL, it is pipelined over two sessions. Both give the same rows.
    with transaction.atomic():
        seed(accounts=150, seed=4, nightly=False)
    single = digest()

    seed(accounts=150, seed=4, nightly=False, replace=True, rebuild_indexes=True)

    assert digest() == single
    assert Payment.objects.count() == PaymentAllocation.objects.values("payment").distinct().count()
    assert AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").count() == 2


def _bulk_indexes() -> dict:
    """Every index of the tables a bulk load fills, with its definition."""
    tables = [model._meta.db_table for model in writers.BULK_MODELS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables])
            return dict(cursor.fetchall())
        return {
            (table, name): constraint
            for table in tables
            for name, constraint in connection.introspection.get_constraints(cursor, table).items()
        }


def test_a_bulk_load_builds_back_exactly_the_indexes_it_set_aside(buckets):
    indexes = _bulk_indexes()
    seed(accounts=150, seed=4, nightly=False)
    row_by_row = digest()

    seed(accounts=150, seed=4, nightly=False, replace=True, rebuild_indexes=True)

    assert digest() == row_by_row
    assert _bulk_indexes() == indexes


def test_indexes_an_interrupted_load_set_aside_come_back_with_the_next_load(buckets):
    indexes = _bulk_indexes()
    dropped = writers.secondary_indexes_drop()  # as a load that died before building them back leaves things
    if connection.vendor == "postgresql":
        assert dropped and set(_bulk_indexes()) == set(indexes) - {name for name, _definition in dropped}

    seed(accounts=20, seed=1, nightly=False)

    assert _bulk_indexes() == indexes
    assert CreditAccount.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_bulk_load_that_fails_still_builds_back_its_indexes(buckets, monkeypatch):
    indexes = _bulk_indexes()
    write = writers.chunk_write
    written = []

    def fail_on_the_third_chunk(chunk):
        if len(written) == 2:
            raise RuntimeError("disk full")
        written.append(chunk)
        write(chunk)

    monkeypatch.setattr(writers, "chunk_write", fail_on_the_third_chunk)
    with pytest.raises(RuntimeError, match="disk full"):
        seed(accounts=200, seed=4, nightly=False, chunk_size=50, rebuild_indexes=True)

    assert _bulk_indexes() == indexes
