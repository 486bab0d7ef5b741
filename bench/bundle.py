"""
The court bundle (issue 11): a bundle of about 300 pages with 20 merged
exhibits (about 200 pages of them) built in <= 30 s.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/bundle.py [--exhibits 20] [--exhibit-pages 10]
        [--contacts 1000] [--installments 48] [--accounts 4] [--letters 10] [--letter-pages 4]
        [--runs 3] [--chinese] [--keep]

Creates the database `arrears_bench_bundle` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL), writes one litigation file over a case with
`--accounts` accounts of `--installments` installments each (every other one
paid, its payment allocated), `--contacts` contact attempts, `--letters`
demand letters of `--letter-pages` pages and `--exhibits` exhibits of `--exhibit-pages` text
pages, all stored as PDFs. It then measures, warm, side by side in this run:

1. the whole build, as the Celery task runs it (`bundle_build`: read the data,
   open and check the stored files, lay out the body once and the numbered
   pages until the page plan settles, write both, merge, stamp every page,
   bookmarks, save, store):
   the best and the median of `--runs` builds, and each phase of the last one;
2. the baselines: WeasyPrint rendering a minimal page; WeasyPrint rendering
   the bundle's own pages once (body and numbered pages, layout and write,
   no second layout);
   pikepdf merging the same parts alone (no stamps, no bookmarks); and the
   stamp document alone (WeasyPrint, one small page per bundle page).

The database is dropped at the end unless --keep.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_bundle")
REQUIRED_SECONDS, REQUIRED_PAGES = 30.0, 300


def text_pdf(marker: str, pages: int) -> bytes:
    from documents.pdf import pdf_render

    lines = "".join(f"<p>{marker}: line {line} of the document's text.</p>" for line in range(1, 13))
    body = "".join(
        f'<section style="break-before: page"><h2>{marker}, page {page}</h2>{lines}</section>'
        for page in range(1, pages + 1)
    )
    return pdf_render(
        f'<html><head><link rel="stylesheet" href="/static/css/print.css"></head><body>{body}</body></html>'
    )


def load(args):
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from collection.models import AnsweredBy, CaseAccount, Channel, ContactAttempt, Outcome
    from lending.models import Installment, Payment, PaymentAllocation
    from tests.collection.factories import case_in_arrears
    from tests.legal.factories import DocumentFactory, EvidenceFactory, LitigationFileFactory
    from tests.lending.factories import CreditAccountFactory, add_months

    started = time.perf_counter()
    officer = User.objects.create(username="bench-legal", role=Role.LEGAL_OFFICER)
    case = case_in_arrears(days_past_due=400, stage="legal")
    borrower = case.borrower
    borrower.language = "zh-hans" if args.chinese else "en"
    borrower.save(update_fields=["language"])
    opened = datetime.date(2023, 1, 10)
    received = 0
    for _account in range(args.accounts):
        account = CreditAccountFactory(borrower=borrower, opened_on=opened)
        CaseAccount.objects.create(case=case, account=account, joined_on=case.opened_on)
        installments = Installment.objects.bulk_create(
            Installment(
                account=account,
                number=n,
                lent_on=opened,
                due_on=add_months(opened, n),
                principal_due=Decimal("250.00"),
                interest_due=Decimal("3.10"),
                penalty_accrued=Decimal("1.25") if n % 2 else Decimal("0.00"),
            )
            for n in range(1, args.installments + 1)
        )
        for installment in installments[::2]:
            received += 1
            payment = Payment.objects.create(
                external_id=f"P-BENCH-{received}",
                account=account,
                amount=Decimal("253.10"),
                received_at=timezone.make_aware(datetime.datetime.combine(installment.due_on, datetime.time(10))),
                channel=Payment.Channel.APP,
            )
            PaymentAllocation.objects.bulk_create(
                [
                    PaymentAllocation(
                        payment=payment, installment=installment, component="interest", amount=Decimal("3.10")
                    ),
                    PaymentAllocation(
                        payment=payment, installment=installment, component="principal", amount=Decimal("250.00")
                    ),
                ]
            )
            Installment.objects.filter(pk=installment.pk).update(
                interest_paid=Decimal("3.10"), principal_paid=Decimal("250.00"), paid_off_on=installment.due_on
            )
    start = timezone.make_aware(datetime.datetime(2024, 1, 1, 9))
    ContactAttempt.objects.bulk_create(
        ContactAttempt(
            case=case,
            borrower=borrower,
            channel=Channel.CALL if n % 3 else Channel.SMS,
            answered_by=AnsweredBy.NOBODY if n % 4 else AnsweredBy.BORROWER,
            outcome=Outcome.NO_ANSWER if n % 4 else Outcome.REFUSED_TO_PAY,
            occurred_at=start + datetime.timedelta(hours=7 * n),
        )
        for n in range(args.contacts)
    )
    file = LitigationFileFactory(
        case=case, court="Shanghai Pudong People's Court", court_case_number="(2026)沪0115民初1号"
    )
    for number in range(1, args.letters + 1):
        DocumentFactory(
            case=case,
            issued_on=datetime.date(2025, 1, number),
            content=text_pdf(f"Letter {number}", args.letter_pages),
            pages=args.letter_pages,
        )
    for number in range(1, args.exhibits + 1):
        EvidenceFactory(
            file=file,
            name=f"Exhibit {number}",
            position=number,
            content=text_pdf(f"Exhibit {number}", args.exhibit_pages),
            pages=args.exhibit_pages,
        )
    print(
        f"data: {args.accounts} accounts x {args.installments} installments, {received} payments,"
        f" {args.contacts} contacts, {args.letters} letters x {args.letter_pages} pages,"
        f" {args.exhibits} exhibits x {args.exhibit_pages} pages"
        f" in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return file, officer


def build_once(file, officer):
    from legal.bundles import services
    from legal.models import CourtBundle

    phases = []
    original = services._progress

    def progress(bundle_id):
        record = original(bundle_id)

        def timed(step, percent):
            phases.append((step, time.perf_counter()))
            record(step, percent)

        return timed

    services._progress = progress
    try:
        bundle = CourtBundle.objects.create(
            file=file, language=services.bundle_language_for(file), requested_by=officer, requested_at=file.referred_at
        )
        started = time.perf_counter()
        bundle = services.bundle_build(bundle=bundle)
        seconds = time.perf_counter() - started
    finally:
        services._progress = original
    assert bundle.status == CourtBundle.Status.DONE, bundle.error
    return bundle, seconds, [(step, at - started) for step, at in phases]


def baselines(file, bundle):
    from io import BytesIO

    import pikepdf
    from django.utils import translation

    from documents.pdf import pdf_document, pdf_render
    from legal.bundles.builder import attachment_open, body_html, numbered_html
    from legal.bundles.data import bundle_data_read
    from legal.bundles.sections import BODY, body_anchors, document_ranges, plan_guess
    from legal.bundles.stamping import stamp_pdf, stamp_texts

    minimal = "<html><body><p>Hello</p></body></html>"
    pdf_render(minimal)
    minimal_times = []
    for _ in range(5):
        started = time.perf_counter()
        pdf_render(minimal)
        minimal_times.append(time.perf_counter() - started)

    data = bundle_data_read(file, bundle.language)
    with translation.override(data.language):
        sources = [attachment_open(attachment) for attachment in (*data.letters, *data.exhibits)]
        # A plan, computed outside the timings: the baseline lays each document out once, with it.
        body_source = body_html(data)
        body = pdf_document(body_source)
        ranges = document_ranges(BODY, [set(page.anchors) for page in body.pages], body_anchors(len(data.exhibits)))
        numbered_source = numbered_html(data, plan_guess(ranges, data.letters, data.exhibits))
        front_times, merge_times, stamp_times = [], [], []
        started = time.perf_counter()
        parts = [pdf_document(body_source).write_pdf(), pdf_document(numbered_source).write_pdf()]
        front_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        merged = pikepdf.new()
        own = 0
        for part in parts:
            part_pdf = pikepdf.open(BytesIO(part))
            own += len(part_pdf.pages)
            merged.pages.extend(part_pdf.pages)
        for source in sources:
            merged.pages.extend(source.pages)
        merged.save(BytesIO())
        merge_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        stamp_pdf(stamp_texts(file.number, bundle.pages), data.language)
        stamp_times.append(time.perf_counter() - started)
    return {
        "minimal page (WeasyPrint)": min(minimal_times),
        f"the bundle's own pages once ({own} pages, WeasyPrint layout + write)": min(front_times),
        f"merge alone ({bundle.pages} pages, pikepdf, no stamps)": min(merge_times),
        f"stamp document alone ({bundle.pages} small pages, WeasyPrint)": min(stamp_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exhibits", type=int, default=20)
    parser.add_argument("--exhibit-pages", type=int, default=10)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--installments", type=int, default=48)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--letters", type=int, default=10)
    parser.add_argument("--letter-pages", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chinese", action="store_true", help="a Chinese borrower: the bundle in Chinese")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    database_recreate(BENCH_URL)
    django_migrated()
    try:
        file, officer = load(args)
        # A warm-up build (fonts, templates, imports), not counted.
        build_once(file, officer)
        times, measured = [], {}
        # Builds and baselines interleaved, so that both meet the same machine (its load changes).
        for _ in range(args.runs):
            bundle, seconds, phases = build_once(file, officer)
            times.append(seconds)
            for name, value in baselines(file, bundle).items():
                measured[name] = min(measured.get(name, value), value)
        merged = {kind: [row for row in bundle.manifest if row["kind"] == kind] for kind in ("letter", "exhibit")}
        pages = {kind: sum(row["last"] - row["first"] + 1 for row in rows) for kind, rows in merged.items()}
        best, median = min(times), statistics.median(times)
        verdict = "ok" if best <= REQUIRED_SECONDS and bundle.pages >= REQUIRED_PAGES * 0.9 else "NOT MET"
        print(
            f"\nbundle ({bundle.language}): {bundle.pages} pages, {len(merged['exhibit'])} exhibits"
            f" ({pages['exhibit']} pages), {len(merged['letter'])} letters ({pages['letter']} pages);"
            f" build best {best:.2f} s, median {median:.2f} s of {args.runs}"
            f" (required <= {REQUIRED_SECONDS:.0f} s for about {REQUIRED_PAGES} pages: {verdict})"
        )
        previous = 0.0
        print("  phases of the last build (time at which each step started, and its share):")
        for step, at in [*phases, ("end", times[-1])]:
            print(f"    {step:<8} at {at:6.2f} s (+{at - previous:5.2f} s)")
            previous = at
        print("\nbaselines, interleaved with the builds (best of each):")
        for name, seconds in measured.items():
            print(f"  {name}: {1000 * seconds:,.1f} ms")
    finally:
        if not args.keep:
            database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
