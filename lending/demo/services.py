"""
Loading the demo portfolio: `demo_portfolio_seed` is what `manage.py
seed_demo` calls (and what tests call).
"""

import datetime
import queue
import threading
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.demo import writers
from lending.demo.generator import PRODUCT_NAMES_ZH, PRODUCTS, PortfolioGenerator
from lending.models import Borrower, Bucket, CreditAccount, CreditProduct, Payment, PaymentAllocation

SEED_DATA_EXISTS = _(
    "The database already holds borrowers or accounts: seed_demo only loads into an empty portfolio "
    "(use --replace to delete the portfolio and load a new one)."
)
SEED_ACCOUNTS_INVALID = _("Give a number of accounts of at least 1.")
SEED_LOCALE_INVALID = _("The locale is zh or en.")
LOCALES = ("zh", "en")
CURRENCY_BY_LOCALE = {"zh": "CNY", "en": "USD"}
# From this many accounts on, a load into an empty portfolio on PostgreSQL
# builds the secondary indexes after the rows are in rather than row by row.
REBUILD_INDEXES_FROM = 50_000


class DemoError(Exception):
    """The demo portfolio cannot be loaded as asked; the message says why."""


@dataclass
class SeedResult:
    accounts: int = 0
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0
    nightly: object = None  # the nightly run's report, or None when it could not run
    nightly_error: str = ""
    # External id of each account in arrears → the reason for lateness the
    # collection app (a later issue) can record for it.
    lateness_reasons: dict = field(default_factory=dict)


def demo_products_ensure(*, locale: str = "zh") -> dict[str, CreditProduct]:
    """
    Create or update the demo products by code, named and priced in the
    locale's language and currency; running it again changes nothing.
    """
    products = {}
    for spec in PRODUCTS:
        product, _created = CreditProduct.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": PRODUCT_NAMES_ZH[spec.code] if locale == "zh" else spec.name,
                "kind": spec.kind,
                "currency": CURRENCY_BY_LOCALE[locale],
                "annual_interest_rate": spec.annual_interest_rate,
                "daily_penalty_rate": spec.daily_penalty_rate,
                "late_fee": f"{spec.late_fee_cents / 100:.2f}",
                "grace_days": spec.grace_days,
                "charges_cap_annual_rate": spec.charges_cap_annual_rate,
                "is_active": True,
            },
        )
        products[spec.code] = product
    return products


def _utc_offset_hours(as_of: datetime.date) -> int:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    offset = datetime.datetime.combine(as_of, datetime.time(12), tzinfo=zone).utcoffset()
    return round(offset.total_seconds() / 3600)


def _in_background(iterator, *, depth: int = 1):
    """
    Run a pure-Python iterator in a thread, `depth` items ahead of the
    consumer: the next chunk is generated while the database stores the last
    one. The thread touches no database connection.
    """
    items = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(done)
        except BaseException as error:  # handed to the consumer, which raises it
            items.put(error)

    thread = threading.Thread(target=produce, name="seed-demo-generator", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _run_nightly(as_of: datetime.date):
    """The delinquency run of lending/delinquency.py, if it is there (it is written beside this)."""
    try:
        from lending.delinquency import run_nightly
    except ImportError as error:  # pragma: no cover - only while the module is missing
        return None, f"nightly run not available: {error}"
    return run_nightly(as_of=as_of), ""


class _Load:
    """One load of the demo portfolio: its ids, counters and timings, and the ways to write it."""

    def __init__(self, *, accounts, chunk_size, as_of, say, started):
        self.accounts, self.chunk_size, self.as_of, self.say, self.started = accounts, chunk_size, as_of, say, started
        self.rows = dict.fromkeys(("borrower", "contact_point", "account", "limit_change", "installment"), 0)
        self.rows.update(payment=0, allocation=0)
        self.spent = dict.fromkeys(("waiting for rows", "write", "payments"), 0.0)
        self.offset = _utc_offset_hours(as_of)
        self.triggers_off = False
        self.keys_checked = False
        self.ids = self.after_ids = None
        self.loaded = False
        self.dropped = []  # (name, definition) of the indexes dropped for the load

    def prepare(self, *, seed, locale, replace, rebuild_indexes) -> PortfolioGenerator:
        restored = writers.indexes_restore()  # left over by a load that died before rebuilding them
        if restored:
            self.say(f"Rebuilt {restored} indexes an interrupted load had dropped.")
        if Borrower.objects.exists() or CreditAccount.objects.exists():
            if not replace:
                raise DemoError(SEED_DATA_EXISTS)
            writers.portfolio_delete()
            self.say("Deleted the existing portfolio.")
        products = demo_products_ensure(locale=locale)
        if rebuild_indexes and writers.portfolio_is_empty():
            self.dropped = writers.secondary_indexes_drop()
        self.ids = writers.last_ids()
        self.after_ids = {model: self.ids[name] for name, (model, _columns) in writers.TABLES.items()}
        self.after_ids.update({Payment: self.ids["payment"], PaymentAllocation: self.ids["allocation"]})
        return PortfolioGenerator(
            seed=seed,
            as_of=self.as_of,
            locale=locale,
            product_ids={code: product.pk for code, product in products.items()},
            buckets=list(Bucket.objects.values_list("min_days", "max_days", "code")),
            last_ids=self.ids,
            utc_offset_hours=self.offset,
            datetime_suffix="+00" if connection.vendor == "postgresql" else "",
        )

    def _write(self, chunk) -> None:
        mark = time.perf_counter()
        writers.chunk_write(chunk)
        for table, attribute in writers.CHUNK_LISTS:
            self.rows[table] += len(getattr(chunk, attribute))
        self.spent["write"] += time.perf_counter() - mark

    def _payments(self, first_account_id, last_account_id) -> None:
        mark = time.perf_counter()
        payments, allocations = writers.payments_derive(
            first_account_id=first_account_id,
            last_account_id=last_account_id,
            ids=self.ids,
            time_zone=settings.TIME_ZONE,
            utc_offset_hours=self.offset,
        )
        self.rows["payment"] += payments
        self.rows["allocation"] += allocations
        self.spent["payments"] += time.perf_counter() - mark

    def _progress(self) -> None:
        self.say(
            f"  {self.rows['account']:>9,} / {self.accounts:,} accounts, {self.rows['installment']:,} installments, "
            f"{self.rows['payment']:,} payments  ({time.perf_counter() - self.started:.1f} s: "
            + ", ".join(f"{step} {seconds:.1f}" for step, seconds in self.spent.items())
            + ")"
        )

    def _chunks(self, generator):
        mark = time.perf_counter()
        for chunk in _in_background(generator.chunks(self.accounts, self.chunk_size)):
            self.spent["waiting for rows"] += time.perf_counter() - mark
            yield chunk
            mark = time.perf_counter()

    def run_serial(self, generator) -> None:
        """Everything in the caller's transaction, one chunk after the other."""
        self.triggers_off = writers.bulk_mode_enter()
        for chunk in self._chunks(generator):
            self._write(chunk)
            self._payments(chunk.first_account_id, chunk.last_account_id)
            self._progress()
        self.loaded = True

    def run_pipelined(self, generator) -> None:
        """
        Each chunk committed on its own; a second session (a thread with its
        own connection) derives the payments of each committed chunk while
        this one copies the next. A failure leaves the chunks committed so
        far: run again with --replace.
        """
        ranges = queue.Queue(maxsize=2)
        failure = []

        def derive_payments():
            try:
                while (account_range := ranges.get()) is not None:
                    if failure:
                        continue
                    with transaction.atomic():
                        writers.bulk_mode_enter()
                        self._payments(*account_range)
            except BaseException as error:
                failure.append(error)
                while ranges.get() is not None:  # drain, so the producer never blocks
                    pass
            finally:
                connection.close()

        worker = threading.Thread(target=derive_payments, name="seed-demo-payments", daemon=True)
        worker.start()
        try:
            for chunk in self._chunks(generator):
                if failure:
                    break
                with transaction.atomic():
                    self.triggers_off = writers.bulk_mode_enter()
                    self._write(chunk)
                ranges.put((chunk.first_account_id, chunk.last_account_id))
                self._progress()
        finally:
            ranges.put(None)
            worker.join()
        if failure:
            raise failure[0]
        self.loaded = True
        self._progress()
        if self.dropped:
            self._indexes_in_two_sessions()

    def _indexes_in_two_sessions(self) -> None:
        """
        Build the dropped indexes in this session and a second one at once,
        each taking the next index (largest table first) as it is done; the
        second session first checks the foreign keys (reads, which the
        builds allow). indexes_rebuild() builds whatever is left after a
        failure.
        """
        mark = time.perf_counter()
        pending = writers.indexes_by_size(self.dropped)
        lock = threading.Lock()
        failure = []

        def build():
            while not failure:
                with lock:
                    if not pending:
                        return
                    index = pending.pop(0)
                with transaction.atomic():
                    writers.indexes_create([index], in_parallel=True)

        def second_session():
            try:
                if self.triggers_off:
                    self._keys_check()
                build()
            except BaseException as error:
                failure.append(error)
            finally:
                connection.close()

        worker = threading.Thread(target=second_session, name="seed-demo-indexes", daemon=True)
        worker.start()
        try:
            build()
        except BaseException as error:
            failure.append(error)
        finally:
            worker.join()
        if failure:
            raise failure[0]
        self.say(f"Built {len(self.dropped)} indexes in {time.perf_counter() - mark:.1f} s.")

    def indexes_rebuild(self) -> None:
        """Build whichever dropped index is not there yet (all of them after a serial load)."""
        if not self.dropped:
            return
        mark = time.perf_counter()
        built = writers.indexes_restore()
        if built:
            self.say(f"Built {built} indexes in {time.perf_counter() - mark:.1f} s.")

    def _keys_check(self) -> None:
        mark = time.perf_counter()
        writers.foreign_keys_verify(after_ids=self.after_ids)
        self.keys_checked = True
        self.say(f"Foreign keys checked set-based in {time.perf_counter() - mark:.1f} s.")

    def finish(self, *, seed, locale, replace) -> None:
        writers.finish()
        if not self.loaded:
            return
        if self.triggers_off and not self.keys_checked:
            self._keys_check()
        audit_record(
            action="lending.demo_portfolio.seeded",
            actor=None,
            data={
                "accounts": self.accounts,
                "seed": seed,
                "locale": locale,
                "as_of": self.as_of.isoformat(),
                "replaced": replace,
                "rows": self.rows,
            },
        )


def demo_portfolio_seed(
    *,
    accounts: int,
    seed: int,
    as_of: datetime.date,
    locale: str = "zh",
    replace: bool = False,
    chunk_size: int = 10_000,
    nightly: bool = True,
    pipeline: bool = True,
    rebuild_indexes: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """
    Load a deterministic demo portfolio of `accounts` accounts: the same
    accounts, seed, locale and as-of date give the same rows. Refuses when
    borrowers or accounts exist, unless `replace` (which deletes the
    portfolio first). Then runs the nightly delinquency run for the as-of
    date. One audit event records the load.

    Inside a transaction or on SQLite the whole load is one transaction. On
    PostgreSQL outside one (the command) it is pipelined over two sessions,
    chunk by chunk (`pipeline=False` to keep it one transaction).

    `rebuild_indexes` (by default from REBUILD_INDEXES_FROM accounts on): on
    PostgreSQL, when the portfolio is empty, drop the bulk tables' secondary
    indexes before loading and build them once the rows are in, as
    pg_restore does (see writers.secondary_indexes_drop).
    """
    if accounts < 1:
        raise DemoError(SEED_ACCOUNTS_INVALID)
    if locale not in LOCALES:
        raise DemoError(SEED_LOCALE_INVALID)
    say = progress or (lambda _line: None)
    started = time.perf_counter()
    result = SeedResult(accounts=accounts)
    load = _Load(accounts=accounts, chunk_size=chunk_size, as_of=as_of, say=say, started=started)
    # On PostgreSQL outside a transaction, two sessions share the work: one
    # copies chunk after chunk (each its own transaction), the other derives
    # the payments of the chunks committed. Inside a transaction (tests, a
    # caller's atomic block) or on SQLite, all of it is one transaction.
    pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block and pipeline
    if rebuild_indexes is None:
        rebuild_indexes = accounts >= REBUILD_INDEXES_FROM
    with transaction.atomic():
        generator = load.prepare(seed=seed, locale=locale, replace=replace, rebuild_indexes=rebuild_indexes)
        if not pipelined:
            load.run_serial(generator)
            load.indexes_rebuild()
            load.finish(seed=seed, locale=locale, replace=replace)
    if pipelined:
        try:
            load.run_pipelined(generator)
        finally:
            # Whatever happened, the tables get their indexes back.
            with transaction.atomic():
                load.indexes_rebuild()
            with transaction.atomic():
                load.finish(seed=seed, locale=locale, replace=replace)
    rows = load.rows
    result.rows = rows
    result.lateness_reasons = generator.lateness_reasons
    writers.analyze()
    say(f"Loaded in {time.perf_counter() - started:.1f} s; running the nightly delinquency run for {as_of}.")
    if nightly:
        result.nightly, result.nightly_error = _run_nightly(as_of)
    result.seconds = time.perf_counter() - started
    return result
