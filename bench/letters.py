"""
Letters: one through the whole pipeline, a batch laid out together, Chinese
against English, and a large batch on one worker process against two.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/letters.py [--letters 10000] [--runs 15]
        [--chunk 100] [--keep]

Creates the database `arrears_bench_letters` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL); its migrations install the default letter templates.
Cases are made with the test factories (a borrower with a postal address, a
six-month account in arrears) and cloned in bulk for the large batch. Every
figure is printed beside its baseline, measured in the same run, warm:

(a) one English formal demand through letter_generate (guard, context,
    sandboxed template, layout, WeasyPrint, storage, SHA-256, pages,
    timeline), against bare WeasyPrint writing the same HTML alone: <= 1.15x.
    "Bare" is WeasyPrint used the plain way: the document's stylesheets
    (print.css, letter.css) fetched and parsed for each call, a new font
    configuration, Python's default garbage collection. Our renderer alone
    (documents.pdf: stylesheets parsed once, one font configuration, the
    collector held back) is printed beside it, so the pipeline's own steps
    show too;
(b) letters laid out `--chunk` at a time as one document, the PDF written
    once and split into one PDF a letter with pikepdf (and the whole batch
    task, guard and storage included), against the bare per-letter rate:
    >= 1.3x faster;
(c) Chinese against English, bare and batched: >= 70% of the English rate;
(d) `--letters` letters by one worker process, then the same number (another
    letter date) by two worker processes running the batch task at once
    against PostgreSQL (disjoint claims, skip_locked): every letter stored
    once, two >= 1.8x one. The machine's cores are printed: two processes on
    two cores share them with PostgreSQL.

The database and the stored files are dropped at the end unless --keep.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import BASE_DIR, bench_environment, database_drop, database_recreate, django_migrated  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_letters")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
MEDIA = BASE_DIR / "var" / "bench-letters-media"
os.environ["MEDIA_ROOT"] = str(MEDIA)

KIND = "formal_demand"
PIPELINE_MOST, BATCH_LEAST, CHINESE_LEAST, TWO_WORKERS_LEAST = 1.15, 1.3, 0.70, 1.8


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- Data ----------------------------------------------------------------------------------


def staff():
    from accounts.models import User

    user, _ = User.objects.get_or_create(username="bench-letters", defaults={"role": "collector"})
    return user


def case_made(*, language: str, name: str):
    """A case over a real six-month account in arrears (the test factories), its borrower with a postal address."""
    from tests.collection.factories import case_in_arrears
    from tests.lending.factories import ContactPointFactory

    case = case_in_arrears(days_past_due=45)
    borrower = case.borrower
    borrower.language, borrower.name = language, name
    borrower.save(update_fields=["language", "name"])
    address = "1 Main Street, Springfield" if language == "en" else "北京市东城区东华门街道1号"
    ContactPointFactory(borrower=borrower, kind="home_address", value=address, number_e164="", consent_sms=False)
    return case


def cases_cloned(template, count: int, *, tag: str) -> list[int]:
    """`count` copies of `template` (borrower, address, account, case, membership), in bulk."""
    from collection.models import Case, CaseAccount
    from lending.models import Borrower, ContactPoint, CreditAccount

    account = template.case_accounts.get().account
    point = template.borrower.contact_points.get(kind="home_address")
    borrowers = []
    for number in range(count):
        borrower = Borrower.objects.get(pk=template.borrower_id)
        borrower.pk, borrower.external_id = None, f"{tag}-B{number:07d}"
        borrower.national_id = f"{tag}{number:012d}"[-18:]
        borrowers.append(borrower)
    Borrower.objects.bulk_create(borrowers, batch_size=2000)
    points, accounts, cases = [], [], []
    for number, borrower in enumerate(borrowers):
        copy = _copy(point)
        copy.pk, copy.borrower, copy.external_id = None, borrower, f"{tag}-P{number:07d}"
        points.append(copy)
        held = _copy(account)
        held.pk, held.borrower, held.external_id = None, borrower, f"{tag}-A{number:07d}"
        accounts.append(held)
        case = _copy(template)
        case.pk, case.borrower = None, borrower
        cases.append(case)
    ContactPoint.objects.bulk_create(points, batch_size=2000)
    CreditAccount.objects.bulk_create(accounts, batch_size=2000)
    Case.objects.bulk_create(cases, batch_size=2000)
    CaseAccount.objects.bulk_create(
        [
            CaseAccount(case=case, account=held, joined_on=case.opened_on)
            for case, held in zip(cases, accounts, strict=True)
        ],
        batch_size=2000,
    )
    return [case.pk for case in cases]


def _copy(instance):
    import copy

    return copy.copy(instance)


# --- (a) one letter; (b) and (c) laid out together -------------------------------------------


def letter_html(case, language: str) -> tuple[str, str]:
    """The document HTML of one letter to `case` and its <article>, as the pipeline makes them."""
    from django.utils import timezone

    from legal.letters import services
    from legal.letters.layout import letters_document_html

    draft = services.letter_draft(case=case, kind=KIND, issued_on=timezone.localdate(), actor=None, language=language)
    return letters_document_html([draft.article], language=language), draft.article


def bare_render(html: str) -> bytes:
    """
    Bare WeasyPrint: the same document with the same stylesheets, fetched and
    parsed for this call as a <link> would be, a new font configuration and
    Python's default garbage collection — WeasyPrint used the plain way.
    """
    from weasyprint import CSS, HTML

    from documents.pdf import INTERNAL_BASE_URL, STATIC_SCHEME, StaticOnlyFetcher
    from legal.letters.layout import LETTER_STYLESHEETS

    fetcher = StaticOnlyFetcher()
    stylesheets = [CSS(url=f"{STATIC_SCHEME}:{path}", url_fetcher=fetcher) for path in LETTER_STYLESHEETS]
    return HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=fetcher).write_pdf(stylesheets=stylesheets)


def renderer_render(html: str) -> bytes:
    """Our renderer alone on the same document (stylesheets parsed once, one font configuration, GC held back)."""
    from documents.pdf import pdf_render
    from legal.letters.layout import LETTER_STYLESHEETS

    return pdf_render(html, stylesheets=LETTER_STYLESHEETS)


def measure_one_letter(case, actor, runs: int) -> tuple[float, float, float, float, float]:
    """
    (pipeline ms, bare ms, and the same as this process's CPU ms, and our
    renderer alone ms), medians of interleaved runs; each pipeline run dates
    its letter a day later. The CPU figures leave out PostgreSQL's own work
    and the waits of a busy machine.
    """
    import datetime

    from django.utils import timezone

    from legal.letters.services import letter_generate

    html, _article = letter_html(case, "en")
    day = timezone.localdate()
    for warm in range(2):
        bare_render(html)
        renderer_render(html)
        letter_generate(case=case, kind=KIND, actor=actor, issued_on=day + datetime.timedelta(days=1000 + warm))
    pipeline, bare, pipeline_cpu, bare_cpu, renderer = [], [], [], [], []
    for run in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        document = letter_generate(case=case, kind=KIND, actor=actor, issued_on=day + datetime.timedelta(days=run + 1))
        pipeline.append(time.perf_counter() - started)
        pipeline_cpu.append(time.process_time() - cpu)
        assert not document.existing
        started, cpu = time.perf_counter(), time.process_time()
        bare_render(html)
        bare.append(time.perf_counter() - started)
        bare_cpu.append(time.process_time() - cpu)
        started = time.perf_counter()
        renderer_render(html)
        renderer.append(time.perf_counter() - started)
    return median_ms(pipeline), median_ms(bare), median_ms(pipeline_cpu), median_ms(bare_cpu), median_ms(renderer)


def _timed(function) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def _chunk_of(article: str, chunk: int) -> tuple[list[str], list[str]]:
    """The same letter `chunk` times, each with its own anchors (as a batch's letters have theirs)."""
    import re

    case_id = re.search(r'id="letter-(\d+)"', article).group(1)
    own_ids = re.compile(rf"letter-(end-)?{case_id}\b")
    articles = [
        own_ids.sub(lambda match, n=n: f"letter-{match.group(1) or ''}{900000 + n}", article) for n in range(chunk)
    ]
    return articles, [f"letter-{900000 + n}" for n in range(chunk)]


def measure_rates(letters: dict, chunk: int, rounds: int) -> dict:
    """
    For each language of `letters` ({language: (document html, article)}):
    the bare per-letter time and the per-letter time laid out `chunk` at a
    time and split, as medians of interleaved rounds (wall and CPU ms), so
    that a busy machine slows both sides alike.
    """
    from legal.letters.batches import letters_split

    samples = {language: {"bare": [], "bare_cpu": [], "together": [], "together_cpu": []} for language in letters}
    chunks = {language: _chunk_of(article, chunk) for language, (_html, article) in letters.items()}
    for language, (html, _article) in letters.items():  # warm: fonts, CSS, the first layout
        bare_render(html)
        letters_split(chunks[language][0][:2], language=language, anchors=chunks[language][1][:2])
    for _round in range(rounds):
        for language, (html, _article) in letters.items():
            for _letter in range(3):
                wall, cpu = _timed(lambda html=html: bare_render(html))
                samples[language]["bare"].append(wall)
                samples[language]["bare_cpu"].append(cpu)
            articles, anchors = chunks[language]
            wall, cpu = _timed(
                lambda articles=articles, anchors=anchors, language=language: letters_split(
                    articles, language=language, anchors=anchors
                )
            )
            samples[language]["together"].append(wall / chunk)
            samples[language]["together_cpu"].append(cpu / chunk)
    return {
        language: {key: median_ms(values) for key, values in figures.items()} for language, figures in samples.items()
    }


def measure_split(article: str, language: str, chunk: int) -> float:
    """ms a letter of the pikepdf split alone: one chunk's PDF cut into one PDF a letter."""
    import io

    import pikepdf

    from legal.letters.batches import letters_split

    articles, anchors = _chunk_of(article, chunk)
    parts = letters_split(articles, language=language, anchors=anchors)
    whole, merged = io.BytesIO(), pikepdf.new()
    opened = [pikepdf.open(io.BytesIO(part)) for part, _pages in parts]
    for source in opened:
        merged.pages.extend(source.pages)
    merged.save(whole)
    with pikepdf.open(io.BytesIO(whole.getvalue())) as pdf:
        started = time.perf_counter()
        for number in range(len(pdf.pages)):
            part = pikepdf.new()
            part.pages.append(pdf.pages[number])
            part.save(io.BytesIO())
        return (time.perf_counter() - started) * 1000 / len(pdf.pages)


def measure_batch_task(case_ids: list[int], actor, chunk: int, issued_on) -> float:
    """ms a letter of the whole batch task in this process (guard, layout, split, storage, timeline, ZIP)."""
    from collection.models import Case
    from legal.letters.batches import letter_batch_run, letter_batch_start

    batch = _batch_without_task(
        letter_batch_start, cases=Case.objects.filter(pk__in=case_ids), actor=actor, issued_on=issued_on
    )
    started = time.perf_counter()
    letter_batch_run(batch_id=batch.pk, size=chunk)
    return (time.perf_counter() - started) * 1000 / len(case_ids)


def _batch_without_task(start, **kwargs):
    # The benchmark runs the task itself: the on-commit enqueue is not wanted here.
    from legal.letters import batches

    original, batches.letter_batch_enqueue = batches.letter_batch_enqueue, lambda **_kw: None
    try:
        return start(kind=KIND, **kwargs)
    finally:
        batches.letter_batch_enqueue = original


# --- (d) one worker process and two ---------------------------------------------------------


def worker_main(batch_id: int, chunk: int) -> None:
    """A worker process: the batch task on `batch_id`, timed from the first claim to its return."""
    django_setup_only()
    from legal.letters.batches import letter_batch_run
    from legal.models import Document

    started, cpu = time.time(), time.process_time()
    letter_batch_run(batch_id=batch_id, size=chunk)
    ended, cpu = time.time(), time.process_time() - cpu
    made = Document.objects.filter(batch_id=batch_id).count()
    print(json.dumps({"started": started, "ended": ended, "cpu": cpu, "batch_made": made}), flush=True)


def django_setup_only() -> None:
    import django

    django.setup()


def run_workers(batch_id: int, workers: int, chunk: int) -> tuple[float, float]:
    """
    (seconds from the first worker's start to the last one's end, Django's
    start-up left out; the workers' CPU seconds together).
    """
    command = [sys.executable, __file__, "--worker", str(batch_id), "--chunk", str(chunk)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    reports = []
    for process in processes:
        out, _err = process.communicate()
        if process.returncode:
            raise SystemExit(f"a worker failed ({process.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(report["ended"] for report in reports) - min(report["started"] for report in reports)
    return seconds, sum(report["cpu"] for report in reports)


def large_batch(case_ids: list[int], actor, issued_on, workers: int, chunk: int) -> tuple[float, float, int, int]:
    """(seconds, workers' CPU seconds, letters stored for the date, items not done) of a batch run by `workers`."""
    from django.db import connections

    from collection.models import Case
    from legal.letters.batches import letter_batch_start
    from legal.models import Document, LetterBatchItem

    batch = _batch_without_task(
        letter_batch_start, cases=Case.objects.filter(pk__in=case_ids), actor=actor, issued_on=issued_on
    )
    connections.close_all()
    seconds, cpu = run_workers(batch.pk, workers, chunk)
    stored = Document.objects.filter(case_id__in=case_ids, kind=KIND, issued_on=issued_on).count()
    not_done = batch.items.exclude(status=LetterBatchItem.Status.DONE).count()
    return seconds, cpu, stored, not_done


# --- The run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=10_000, help="letters of the large batch (d)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.chunk)
        return

    import datetime

    database_recreate(BENCH_URL)
    shutil.rmtree(MEDIA, ignore_errors=True)
    try:
        django_migrated()
        import logging

        logging.getLogger("weasyprint").setLevel(logging.WARNING)
        logging.getLogger("fontTools").setLevel(logging.WARNING)
        from django.utils import timezone

        actor = staff()
        english = case_made(language="en", name="Alice Walker")
        chinese = case_made(language="zh-hans", name="王小明")
        print(
            f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}; chunk: {args.chunk} letters;"
            f" runs: {args.runs}",
            flush=True,
        )

        pipeline, bare_en, pipeline_cpu, bare_cpu, renderer = measure_one_letter(english, actor, args.runs)
        ratio = pipeline / bare_en
        print(
            f"(a) one English letter, whole pipeline: {pipeline:.1f} ms; bare WeasyPrint, same HTML: {bare_en:.1f} ms"
            f" -> {ratio:.2f}x (<= {PIPELINE_MOST}x: {verdict(ratio <= PIPELINE_MOST)});"
            f" CPU of this process: {pipeline_cpu:.1f} ms against {bare_cpu:.1f} ms -> {pipeline_cpu / bare_cpu:.2f}x",
            flush=True,
        )
        print(
            f"    our renderer alone on that HTML (stylesheets parsed once, one font configuration, GC held back):"
            f" {renderer:.1f} ms, so the pipeline's own steps cost {pipeline - renderer:.1f} ms",
            flush=True,
        )

        letters = {"en": letter_html(english, "en"), "zh-hans": letter_html(chinese, "zh-hans")}
        rates = measure_rates(letters, args.chunk, max(3, args.runs // 3))
        en, zh = rates["en"], rates["zh-hans"]
        split_ms = measure_split(letters["en"][1], "en", args.chunk)
        speedup, speedup_cpu = en["bare"] / en["together"], en["bare_cpu"] / en["together_cpu"]
        print(
            f"(b) English, laid out {args.chunk} at a time and split: {en['together']:.1f} ms a letter"
            f" (the pikepdf split alone {split_ms:.2f} ms); bare per letter: {en['bare']:.1f} ms"
            f" -> {speedup:.2f}x faster (>= {BATCH_LEAST}x: {verdict(speedup >= BATCH_LEAST)});"
            f" CPU {en['together_cpu']:.1f} against {en['bare_cpu']:.1f} ms -> {speedup_cpu:.2f}x",
            flush=True,
        )
        bare_en = en["bare"]
        template_case = english
        sample = cases_cloned(template_case, args.chunk, tag="S")
        task_ms = measure_batch_task(sample, actor, args.chunk, timezone.localdate())
        print(
            f"    the whole batch task ({args.chunk} letters: guard, context, layout, split, storage, timeline,"
            f" ZIP, merged PDF): {task_ms:.1f} ms a letter -> {bare_en / task_ms:.2f}x the bare per-letter rate",
            flush=True,
        )
        bare_share, batch_share = en["bare"] / zh["bare"], en["together"] / zh["together"]
        print(
            f"(c) Chinese: bare {zh['bare']:.1f} ms a letter ({bare_share:.0%} of the English rate);"
            f" laid out together {zh['together']:.1f} ms ({batch_share:.0%} of the English batched rate)"
            f" (>= {CHINESE_LEAST:.0%}: bare {verdict(bare_share >= CHINESE_LEAST)},"
            f" batched {verdict(batch_share >= CHINESE_LEAST)}); CPU: bare {zh['bare_cpu']:.1f} ms"
            f" ({en['bare_cpu'] / zh['bare_cpu']:.0%}), together {zh['together_cpu']:.1f} ms"
            f" ({en['together_cpu'] / zh['together_cpu']:.0%})",
            flush=True,
        )

        started = time.perf_counter()
        large = cases_cloned(template_case, args.letters, tag="L")
        print(f"(d) {args.letters:,} cases cloned in {time.perf_counter() - started:.1f} s", flush=True)
        today = timezone.localdate()
        one = large_batch(large, actor, today + datetime.timedelta(days=1), 1, args.chunk)
        two = large_batch(large, actor, today + datetime.timedelta(days=2), 2, args.chunk)
        (one_s, one_cpu, one_stored, one_left), (two_s, two_cpu, two_stored, two_left) = one, two
        scaling = one_s / two_s
        print(
            f"    one worker process: {one_s:.1f} s ({args.letters / one_s:.1f} letters/s), {one_stored:,} stored,"
            f" {one_left} not done; worker CPU {one_cpu * 1000 / args.letters:.1f} ms a letter",
            flush=True,
        )
        print(
            f"    two worker processes: {two_s:.1f} s ({args.letters / two_s:.1f} letters/s), {two_stored:,} stored,"
            f" {two_left} not done -> {scaling:.2f}x one"
            f" (>= {TWO_WORKERS_LEAST}x: {verdict(scaling >= TWO_WORKERS_LEAST)};"
            f" {os.cpu_count()} cores, PostgreSQL on the same machine);"
            f" workers' CPU {two_cpu * 1000 / args.letters:.1f} ms a letter,"
            f" {two_cpu / two_s:.2f} cores busy on average",
            flush=True,
        )
        once = one_stored == two_stored == args.letters and not one_left and not two_left
        print(f"    every letter stored once: {'yes' if once else 'NO'}", flush=True)
        sizes = _sizes(today + datetime.timedelta(days=2))
        print(f"    stored: {sizes}", flush=True)
    finally:
        if not args.keep:
            database_drop(BENCH_URL)
            shutil.rmtree(MEDIA, ignore_errors=True)


def _sizes(issued_on) -> str:
    from django.db.models import Avg

    from legal.models import Document, LetterBatch

    letter = Document.objects.filter(issued_on=issued_on).aggregate(size=Avg("size"))["size"] or 0
    batch = LetterBatch.objects.filter(issued_on=issued_on).first()
    merged = batch.merged_file.size if batch and batch.merged_file else 0
    return (
        f"a letter's PDF {letter / 1024:.0f} KiB on average; the merged PDF for printing {merged / 1024 / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
