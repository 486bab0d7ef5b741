"""
The lending portfolio bench/nightly_refresh.py and bench/collection_nightly.py
load with set-based SQL (generate_series), and the products bench/queue_page.py
shares with them.
"""

from datetime import date

from benchdb import BulkLoad, sql

LOADED_TABLES = ("lending_borrower", "lending_creditaccount", "lending_installment")


def portfolio_load(
    *, accounts: int, borrowers_per_ten: int, as_of: date, late_percent: int, province: str = "'P'"
) -> tuple[BulkLoad, int, float]:
    """
    Load N accounts with their borrowers and schedules into the empty lending
    tables (see the functions below); return the bulk load, whose indexes and
    constraints are still to restore, the number of borrowers, and the seconds
    the INSERTs took.
    """
    products = products_create()
    bulk = BulkLoad(LOADED_TABLES)
    borrowers = (accounts * borrowers_per_ten + 9) // 10
    seconds = borrowers_insert(borrowers=borrowers, province=province)
    seconds += accounts_insert(accounts=accounts, borrowers_per_ten=borrowers_per_ten, products=products, as_of=as_of)
    seconds += installments_insert(as_of=as_of, late_percent=late_percent)
    bulk.id_sequences_advance()
    return bulk, borrowers, seconds


def products_create() -> list[int]:
    """Three products (six-month installments, revolving, six-month cash loans); return their ids."""
    from lending.models import CreditProduct

    return [
        CreditProduct.objects.create(
            code=code,
            name=code,
            kind=kind,
            annual_interest_rate="0.1500",
            daily_penalty_rate="0.000500",
            late_fee="30.00",
            grace_days=3,
        ).pk
        for code, kind in (("inst-6m", "installment"), ("revolving", "revolving"), ("cash-6m", "cash_loan"))
    ]


def borrowers_insert(*, borrowers: int, province: str = "'P'") -> float:
    """Borrowers 1 to N; `province` is the SQL for borrower g's province. Return the seconds it took."""
    return sql(
        f"""
        INSERT INTO lending_borrower (id, external_id, name, national_id, employer, province, city, district,
            language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact,
            cease_contact_requested, created_at, updated_at)
        SELECT g, 'B' || g, 'Borrower ' || g, '', '', {province}, 'C', 'D', 'zh-hans', 'Asia/Shanghai', '',
               FALSE, FALSE, FALSE, FALSE, FALSE, now(), now()
        FROM generate_series(1, %(n)s) g
        """,  # noqa: S608 (province is the caller's SQL, not input)
        {"n": borrowers},
    )


def accounts_insert(*, accounts: int, borrowers_per_ten: int, products: list[int], as_of: date) -> float:
    """
    Accounts 1 to N, their products in turn, opened 30 to 229 days before
    `as_of`, one in a thousand charged off; ten accounts share `borrowers_per_ten`
    borrowers (10: each borrower has their own). Return the seconds it took.
    """
    return sql(
        """
        INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, credit_limit,
            available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees,
            overdue_penalty, outstanding_balance, credit_balance)
        SELECT g, 'A' || g, (g - 1) * %(per_ten)s / 10 + 1, (ARRAY[%(p0)s, %(p1)s, %(p2)s])[1 + g %% 3],
               CAST(%(as_of)s AS date) - (30 + (g * 31) %% 200), 10000, 4000,
               CASE WHEN g %% 1000 = 0 THEN 'charged_off' ELSE 'active' END, 0, 'M0', 0, 0, 0, 0, 0, 0
        FROM generate_series(1, %(n)s) g
        """,
        {
            "n": accounts,
            "per_ten": borrowers_per_ten,
            "p0": products[0],
            "p1": products[1],
            "p2": products[2],
            "as_of": as_of,
        },  # fmt: skip
    )


def installments_insert(*, as_of: date, late_percent: int) -> float:
    """
    Six monthly installments for every account; on a late account (`late_percent`
    of them, by id) every installment from number 1 + id % 3 that fell due is
    unpaid (a quarter of them partly paid), with yesterday's accrual done;
    everything else that fell due is paid. Return the seconds it took.
    """
    return sql(
        """
        INSERT INTO lending_installment (account_id, number, order_reference, lent_on, due_on, principal_due,
            interest_due, fee_due, penalty_accrued, principal_paid, interest_paid, fee_paid, penalty_paid,
            late_fee_charged, penalty_accrued_through, paid_off_on)
        SELECT id, n, '', opened_on, due, 1000.00, 12.50,
               CASE WHEN unpaid AND past_grace THEN 10.00 ELSE 0 END,
               CASE WHEN unpaid AND past_grace THEN 1.50 ELSE 0 END,
               CASE WHEN NOT unpaid AND due < %(as_of)s THEN 1000.00 WHEN partly THEN 300.00 ELSE 0 END,
               CASE WHEN (NOT unpaid AND due < %(as_of)s) OR partly THEN 12.50 ELSE 0 END,
               0, 0,
               unpaid AND past_grace,
               CASE WHEN unpaid AND past_grace THEN CAST(%(as_of)s AS date) - 1 END,
               CASE WHEN NOT unpaid AND due < %(as_of)s THEN due - 1 END
        FROM (
            SELECT id, n, opened_on, due,
                   late AND n >= 1 + id %% 3 AND due < %(as_of)s AS unpaid,
                   late AND n = 1 + id %% 3 AND id %% 4 = 0 AND due < %(as_of)s AS partly,
                   due + 3 < %(as_of)s AS past_grace
            FROM (
                SELECT a.id, n, a.opened_on, CAST(a.opened_on + make_interval(months => n) AS date) AS due,
                       (a.id * 7919) %% 100 < %(late)s AS late
                FROM lending_creditaccount a CROSS JOIN generate_series(1, 6) n
            ) s
        ) x
        """,
        {"as_of": as_of, "late": late_percent},
    )
