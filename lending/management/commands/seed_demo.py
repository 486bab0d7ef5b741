import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from accounts.demo import demo_staff_ensure
from lending.demo.services import LOCALES, REBUILD_INDEXES_FROM, DemoError, demo_portfolio_seed
from lending.models import Borrower, CreditAccount

DEBUG_OFF = (
    "The demo has well-known staff passwords and invented borrowers: refusing outside the demo (DEMO=true) "
    "and DEBUG (use --force to insist)."
)


class Command(BaseCommand):
    help = (
        "Load a deterministic demo portfolio: products, borrowers with contact points and third-party contacts, "
        "accounts with installment schedules and payment histories (most current, some late, some cured, a tail "
        "past 180 days), then run the nightly delinquency run for the as-of date and create the demo staff. "
        "The same --accounts, --seed, --locale and --as-of give the same data. It refuses when borrowers or "
        "accounts exist; --replace first deletes every borrower, contact point, account, limit change, "
        "installment, payment, allocation and delinquency snapshot (products, buckets, import history and the "
        "audit trail stay); --if-empty loads only into an empty portfolio and otherwise does nothing. Inside a "
        "transaction or on SQLite the load is one transaction; on PostgreSQL it is pipelined chunk by chunk over "
        "two sessions (a failure leaves the chunks loaded so far: run again with --replace), and a load of "
        f"{REBUILD_INDEXES_FROM:,} accounts or more into an empty portfolio builds the tables' secondary indexes "
        "once the rows are in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=3000, help="How many credit accounts (default 3000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument("--locale", choices=LOCALES, default="zh", help="Chinese (zh, default) or US English (en).")
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="The day the portfolio is as of, YYYY-MM-DD (default: today in TIME_ZONE).",
        )
        parser.add_argument("--replace", action="store_true", help="Delete the existing portfolio first.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when there is no portfolio yet; otherwise just ensure the demo staff (for `make run`).",
        )
        parser.add_argument("--chunk-size", type=int, default=10_000, help="Accounts generated and written at a time.")
        parser.add_argument(
            "--force", action="store_true", help="Run even outside the demo and DEBUG (never on a real deployment)."
        )

    def handle(self, *args, accounts, seed, locale, as_of, replace, chunk_size, force, if_empty=False, **options):
        if not (settings.DEBUG or settings.DEMO) and not force:
            raise CommandError(DEBUG_OFF)
        if if_empty and not replace and (Borrower.objects.exists() or CreditAccount.objects.exists()):
            demo_staff_ensure()  # named in the loaded portfolio's locale
            self.stdout.write("A portfolio is already loaded: nothing to do (--replace loads a new one).")
            return
        if isinstance(as_of, str):  # call_command passes keyword values as they are
            as_of = datetime.date.fromisoformat(as_of)
        as_of = as_of or timezone.localdate()
        self.stdout.write(f"Seeding {accounts:,} accounts (seed {seed}, locale {locale}, as of {as_of})...")
        try:
            result = demo_portfolio_seed(
                accounts=accounts,
                seed=seed,
                as_of=as_of,
                locale=locale,
                replace=replace,
                chunk_size=chunk_size,
                progress=self.stdout.write,
            )
        except DemoError as error:
            raise CommandError(str(error)) from error
        staff = demo_staff_ensure(locale=locale)

        self.stdout.write("Rows written:")
        for table, count in result.rows.items():
            self.stdout.write(f"  {table:<14} {count:>12,}")
        if result.nightly is not None:
            for line in result.nightly.lines():
                self.stdout.write(line)
        else:
            self.stdout.write(self.style.WARNING(result.nightly_error))
        total = CreditAccount.objects.count()
        by_bucket = dict(CreditAccount.objects.values_list("bucket").annotate(n=Count("id")).values_list("bucket", "n"))
        delinquent = CreditAccount.objects.filter(days_past_due__gt=0).count()
        self.stdout.write(
            f"Accounts in arrears: {delinquent:,} of {total:,} ({100 * delinquent / max(total, 1):.1f} %)"
        )
        for code in sorted(by_bucket, key=lambda code: (len(code), code)):
            self.stdout.write(f"  {code:<4} {by_bucket[code]:>10,}  {100 * by_bucket[code] / max(total, 1):5.1f} %")
        usernames = ", ".join(user.username for user, _password in staff)
        self.stdout.write(f"Demo staff: {usernames} (seed_demo_staff prints the passwords)")
        self.stdout.write(self.style.SUCCESS(f"Done in {result.seconds:.1f} s."))
