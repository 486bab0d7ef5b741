"""Letter batches: every letter made once, a failing case reported, re-runs and a killed worker, the pages."""

import io
import subprocess
import zipfile

import pikepdf
import pytest
from django.urls import reverse

from collection.models import Case, CaseEvent, ContactRefusal, EventKind, HoldKind
from legal.letters import batches, services
from legal.letters.batches import letter_batch_chunk_run, letter_batch_run, letter_batch_start
from legal.letters.selectors import batch_progress
from legal.models import Document, LetterBatch, LetterBatchItem, LetterKind
from tests.collection.factories import HoldFactory
from tests.legal.test_letter_generate import borrower_case, templates_for

pytestmark = pytest.mark.django_db

KIND = LetterKind.FORMAL_DEMAND


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "part.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def read(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def cases_of(collector, names, *, languages=None):
    languages = languages or ["en"] * len(names)
    return [
        borrower_case(collector=collector, name=name, language=language)
        for name, language in zip(names, languages, strict=True)
    ]


def start(collector, cases, kind=KIND):
    return letter_batch_start(cases=Case.objects.filter(pk__in=[case.pk for case in cases]), kind=kind, actor=collector)


# --- The service and the task ------------------------------------------------------------------


def test_a_batch_makes_each_letter_and_reports_the_failed_one(collector, tmp_path):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone", "Cy Young"])
    HoldFactory(case=cases[1], kind=HoldKind.CEASE_CONTACT)
    batch = start(collector, cases)
    assert batch.total == 3 and batch.items.filter(status=LetterBatchItem.Status.PENDING).count() == 3

    assert letter_batch_run(batch_id=batch.pk, size=2) is True

    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.DONE and batch.finished_at is not None
    progress = batch_progress(batch)
    assert (progress["done"], progress["skipped"], progress["failed"], progress["pending"]) == (2, 0, 1, 0)
    failed = batch.items.get(status=LetterBatchItem.Status.FAILED)
    assert failed.case_id == cases[1].pk
    assert (failed.error_code, failed.error_data) == ("guard", {"rule": "cease_contact"})
    assert ContactRefusal.objects.get(case=cases[1]).action == "letter.formal_demand"
    # Each letter's own PDF holds its own borrower, and no one else's: the split found every letter's pages.
    for case, name, other in ((cases[0], "Ann Lee", "Cy Young"), (cases[2], "Cy Young", "Ann Lee")):
        document = Document.objects.get(case=case, kind=KIND)
        content = read(document.file)
        text = pdf_text(content, tmp_path)
        assert name in text and other not in text
        assert document.batch == batch and document.pages == 1 and document.size == len(content)
        assert CaseEvent.objects.filter(case=case, kind=EventKind.LETTER, data__batch=batch.pk).count() == 1
    assert not Document.objects.filter(case=cases[1]).exists()


def test_the_zip_and_the_merged_pdf_hold_every_letter_made(collector, tmp_path):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone", "Cy Young"])
    batch = start(collector, cases)

    letter_batch_run(batch_id=batch.pk, size=2)

    batch.refresh_from_db()
    documents = list(Document.objects.filter(batch=batch).order_by("case_id"))
    with zipfile.ZipFile(io.BytesIO(read(batch.zip_file))) as archive:
        assert sorted(archive.namelist()) == sorted(document.filename for document in documents)
        for document in documents:
            assert archive.read(document.filename) == read(document.file)
    with pikepdf.open(io.BytesIO(read(batch.merged_file))) as merged:
        assert len(merged.pages) == sum(document.pages for document in documents) == 3
    text = pdf_text(read(batch.merged_file), tmp_path)
    assert text.index("Ann Lee") < text.index("Bob Stone") < text.index("Cy Young")


def test_english_and_chinese_letters_in_one_chunk(collector, tmp_path):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "王小明"], languages=["en", "zh-hans"])
    batch = start(collector, cases)

    letter_batch_run(batch_id=batch.pk)

    english, chinese = (Document.objects.get(case=case) for case in cases)
    assert (english.language, chinese.language) == ("en", "zh-hans")
    assert "王小明" in pdf_text(read(chinese.file), tmp_path)
    assert "Ann Lee" in pdf_text(read(english.file), tmp_path)


def test_running_the_batch_again_changes_nothing(collector):
    templates_for(KIND)
    batch = start(collector, cases_of(collector, ["Ann Lee", "Bob Stone"]))
    letter_batch_run(batch_id=batch.pk)
    before = list(Document.objects.values_list("pk", "sha256").order_by("pk"))

    assert letter_batch_run(batch_id=batch.pk) is True

    assert list(Document.objects.values_list("pk", "sha256").order_by("pk")) == before
    assert CaseEvent.objects.filter(kind=EventKind.LETTER).count() == 2


def test_a_second_batch_on_the_same_day_skips_the_letters_made(collector):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone"])
    first = start(collector, cases)
    letter_batch_run(batch_id=first.pk)

    second = start(collector, cases)
    letter_batch_run(batch_id=second.pk)

    assert Document.objects.count() == 2
    progress = batch_progress(second)
    assert (progress["done"], progress["skipped"]) == (0, 2)
    assert set(second.items.values_list("document__batch", flat=True)) == {first.pk}
    second.refresh_from_db()
    assert not second.zip_file  # nothing new to print


def test_a_worker_killed_mid_way_then_run_again_completes_with_nothing_twice(collector, monkeypatch):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone", "Cy Young", "Di Moss", "Ed Wood"])
    batch = start(collector, cases)
    assert letter_batch_chunk_run(batch_id=batch.pk, size=2) == 2  # the first chunk commits

    real_store, stored = services.letter_store, []

    def store_then_die(**kwargs):
        if stored:
            raise KeyboardInterrupt("the worker is killed")  # not an Exception: nothing catches it
        stored.append(kwargs["draft"].case.pk)
        return real_store(**kwargs)

    monkeypatch.setattr(services, "letter_store", store_then_die)
    with pytest.raises(KeyboardInterrupt):
        letter_batch_chunk_run(batch_id=batch.pk, size=2)
    # The killed chunk rolled back: its letter stored before the kill is no letter, its items wait again.
    assert Document.objects.count() == 2
    assert batch.items.filter(status=LetterBatchItem.Status.PENDING).count() == 3

    monkeypatch.setattr(services, "letter_store", real_store)
    assert letter_batch_run(batch_id=batch.pk, size=2) is True

    assert Document.objects.count() == 5
    assert sorted(Document.objects.values_list("case_id", flat=True)) == sorted(case.pk for case in cases)
    assert CaseEvent.objects.filter(kind=EventKind.LETTER).count() == 5
    assert batch_progress(batch)["done"] == 5


def test_a_broken_template_fails_the_letters_and_says_where(collector):
    from tests.legal.factories import LetterTemplateFactory, LetterTemplateVersionFactory

    LetterTemplateVersionFactory(template=LetterTemplateFactory(kind=KIND, language="en"), body="{% if %}")
    batch = start(collector, cases_of(collector, ["Ann Lee"]))

    letter_batch_run(batch_id=batch.pk)

    item = batch.items.get()
    assert item.status == LetterBatchItem.Status.FAILED and item.error_code == services.TEMPLATE_PROBLEM
    assert Document.objects.count() == 0


def test_an_empty_filter_makes_no_batch(collector):
    with pytest.raises(services.LetterError):
        letter_batch_start(cases=Case.objects.none(), kind=KIND, actor=collector)
    assert LetterBatch.objects.count() == 0


def test_the_article_gets_its_anchor():
    assert batches.article_anchored('<article class="letter" id="x">', "letter-7") == (
        '<article id="letter-7" class="letter">'
    )


# --- The pages ---------------------------------------------------------------------------------


def test_the_queue_links_to_a_batch_with_its_filter(client, collector):
    cases_of(collector, ["Ann Lee"])
    client.force_login(collector)

    page = client.get(reverse("collection:my_queue"), {"q": "Ann"}).content.decode()

    assert "Letters for these cases" in page
    assert reverse("legal:batch_new") + "?q=Ann&amp;queue=mine" in page


def test_the_batch_page_counts_the_filtered_cases(client, collector, django_assert_max_num_queries):
    cases_of(collector, ["Ann Lee", "Bob Stone"])
    client.force_login(collector)
    client.get(reverse("legal:batch_new"), {"queue": "mine"})  # warm the session and the caches

    with django_assert_max_num_queries(8):
        response = client.get(reverse("legal:batch_new"), {"queue": "mine", "q": "Ann"})

    assert response.status_code == 200
    assert "1 case matches the filter." in response.content.decode()


def test_starting_a_batch_runs_it_and_shows_the_files(
    client, collector, eager_celery, django_capture_on_commit_callbacks
):
    templates_for(KIND)
    cases_of(collector, ["Ann Lee", "Bob Stone"])
    client.force_login(collector)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("legal:batch_new") + "?queue=mine", {"kind": KIND})

    batch = LetterBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("legal:batch_detail", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "2 generated, 0 skipped (already sent today), 0 failed, of 2" in page
    assert reverse("legal:batch_file", args=[batch.pk, "zip"]) in page
    assert reverse("legal:batch_file", args=[batch.pk, "pdf"]) in page
    download = client.get(reverse("legal:batch_file", args=[batch.pk, "pdf"]))
    assert download["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(b"".join(download.streaming_content))) as merged:
        assert len(merged.pages) == 2


def test_the_progress_page_lists_a_failed_letter_with_its_reason(client, collector, django_assert_max_num_queries):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone"])
    HoldFactory(case=cases[0], kind=HoldKind.CEASE_CONTACT)
    batch = start(collector, cases)
    letter_batch_run(batch_id=batch.pk)
    client.force_login(collector)
    client.get(reverse("legal:batch_detail", args=[batch.pk]))

    with django_assert_max_num_queries(8):
        page = client.get(reverse("legal:batch_detail", args=[batch.pk])).content.decode()

    assert cases[0].number in page
    assert "Refused by the compliance guard: " in page


def test_the_progress_bar_polls_until_done(client, collector):
    templates_for(KIND)
    batch = start(collector, cases_of(collector, ["Ann Lee"]))
    client.force_login(collector)

    partial = client.get(
        reverse("legal:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="batch-progress"
    ).content.decode()
    assert 'hx-trigger="every 1s"' in partial and "<html" not in partial
    assert "0 generated, 0 skipped (already sent today), 0 failed, of 1" in partial

    letter_batch_run(batch_id=batch.pk)
    partial = client.get(
        reverse("legal:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="batch-progress"
    ).content.decode()
    assert "every 1s" not in partial and "1 generated" in partial


def test_resume_sends_the_task_again(client, collector, eager_celery):
    templates_for(KIND)
    batch = start(collector, cases_of(collector, ["Ann Lee"]))  # its on-commit task never ran (a dead worker)
    client.force_login(collector)

    response = client.post(reverse("legal:batch_resume", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == LetterBatch.Status.DONE and Document.objects.count() == 1


def test_batch_pages_reject_the_wrong_method(client, collector):
    batch = start(collector, cases_of(collector, ["Ann Lee"]))
    client.force_login(collector)
    assert client.put(reverse("legal:batch_new") + "?queue=mine").status_code == 405
    assert client.post(reverse("legal:batch_detail", args=[batch.pk])).status_code == 405
    assert client.get(reverse("legal:batch_resume", args=[batch.pk])).status_code == 405


def test_batch_pages_are_404_for_an_outsider(client, collector, outsider):
    batch = start(collector, cases_of(collector, ["Ann Lee"]))
    client.force_login(outsider)
    assert client.get(reverse("legal:batch_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("legal:batch_file", args=[batch.pk, "zip"])).status_code == 404
    assert client.post(reverse("legal:batch_resume", args=[batch.pk])).status_code == 404
    # The outsider's own queue does not hold the collector's cases: a batch from it has none of them.
    assert "0 cases match the filter." in client.get(reverse("legal:batch_new"), {"queue": "team"}).content.decode()


def test_batch_pages_are_403_without_the_right(client, collector, field_agent):
    batch = start(collector, cases_of(collector, ["Ann Lee"]))
    client.force_login(field_agent)
    assert client.get(reverse("legal:batch_new"), {"queue": "mine"}).status_code == 403
    assert client.get(reverse("legal:batch_detail", args=[batch.pk])).status_code == 403


def test_the_legal_workspace_reaches_the_batches_of_legal_cases(client, legal_officer, django_assert_max_num_queries):
    templates_for(KIND)
    in_legal = borrower_case(name="Ann Lee", stage="legal")
    borrower_case(name="Bob Stone")  # not in the legal stage: not the legal officer's
    client.force_login(legal_officer)
    assert reverse("legal:batch_list") in client.get(reverse("legal:workspace")).content.decode()

    with django_assert_max_num_queries(6):
        listing = client.get(reverse("legal:batch_list")).content.decode()
    assert reverse("legal:batch_new") + "?queue=legal" in listing

    page = client.get(reverse("legal:batch_new"), {"queue": "legal"}).content.decode()
    assert "1 case matches the filter." in page
    client.post(reverse("legal:batch_new") + "?queue=legal", {"kind": KIND})
    assert list(LetterBatch.objects.get().items.values_list("case_id", flat=True)) == [in_legal.pk]


def test_the_batch_list_shows_only_the_users_batches(client, collector, team_lead):
    mine = start(collector, cases_of(collector, ["Ann Lee"]))
    theirs = start(team_lead, cases_of(collector, ["Bob Stone"]))
    client.force_login(collector)

    page = client.get(reverse("legal:batch_list")).content.decode()

    assert reverse("legal:batch_detail", args=[mine.pk]) in page
    assert reverse("legal:batch_detail", args=[theirs.pk]) not in page
    assert client.post(reverse("legal:batch_list")).status_code == 405
    client.force_login(team_lead)
    assert client.get(reverse("legal:batch_detail", args=[mine.pk])).status_code == 404


def test_the_batch_list_is_403_without_the_right(client, field_agent):
    client.force_login(field_agent)
    assert client.get(reverse("legal:batch_list")).status_code == 403


def test_a_chunk_of_demands_refreshes_the_limitation_of_its_letters_cases_once(collector, monkeypatch):
    templates_for(KIND)
    cases = cases_of(collector, ["Ann Lee", "Bob Stone", "Cy Young"])
    HoldFactory(case=cases[1], kind=HoldKind.CEASE_CONTACT)
    refreshed = []
    monkeypatch.setattr(batches, "cases_limitation_refresh", lambda *, case_ids: refreshed.append(sorted(case_ids)))
    batch = start(collector, cases)
    letter_batch_run(batch_id=batch.pk, size=10)
    # One refresh for the chunk, of the cases that got their letter (not the refused one).
    assert refreshed == [sorted([cases[0].pk, cases[2].pk])]
