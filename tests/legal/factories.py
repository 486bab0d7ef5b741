"""Factories for legal: templates and their versions, letters, litigation files, evidence, the policy."""

import hashlib
from io import BytesIO

import factory
import pikepdf
from django.core.files.base import ContentFile
from django.db.models import Max
from django.utils import timezone

from legal.models import (
    Document,
    Evidence,
    FileStatus,
    LegalPolicy,
    LetterKind,
    LetterTemplate,
    LetterTemplateVersion,
    LitigationFile,
)
from tests.collection.factories import PortfolioFactory, case_in_arrears
from tests.factories import UserFactory


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LetterTemplate
        django_get_or_create = ("kind", "language")

    kind = LetterKind.FORMAL_DEMAND
    language = "en"


class LetterTemplateVersionFactory(factory.django.DjangoModelFactory):
    """A version of a template; it becomes the template's current one."""

    class Meta:
        model = LetterTemplateVersion
        skip_postgeneration_save = True

    template = factory.SubFactory(LetterTemplateFactory)
    # The next free number: the data migration already installed version 1 of every default template.
    number = factory.LazyAttribute(lambda o: (o.template.versions.aggregate(last=Max("number"))["last"] or 0) + 1)
    subject = "Formal demand"
    body = "<p>Dear {{ borrower.name }}, please pay {{ amounts.total|money(currency) }}.</p>"
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def make_current(version, create, extracted, **kwargs):
        if create and extracted is not False:
            version.template.current_version = version
            version.template.save(update_fields=["current_version"])


def _pdf_bytes() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = BytesIO()
    pdf.save(out)
    return out.getvalue()


class DocumentFactory(factory.django.DjangoModelFactory):
    """A stored letter (a blank one-page PDF unless `file` is given)."""

    class Meta:
        model = Document

    case = factory.LazyFunction(case_in_arrears)
    kind = LetterKind.FINAL_NOTICE
    issued_on = factory.LazyFunction(timezone.localdate)
    template_version = factory.SubFactory(LetterTemplateVersionFactory)
    language = "en"
    file = factory.LazyAttribute(lambda o: ContentFile(o.content, name="letter.pdf"))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    size = factory.LazyAttribute(lambda o: len(o.content))
    created_at = factory.LazyFunction(timezone.now)

    class Params:
        content = factory.LazyFunction(_pdf_bytes)


class LegalPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalPolicy
        django_get_or_create = ("portfolio",)

    portfolio = factory.SubFactory(PortfolioFactory)


class LitigationFileFactory(factory.django.DjangoModelFactory):
    """A file over a case in arrears, in the legal stage; `status` as given (accepted by default)."""

    class Meta:
        model = LitigationFile

    case = factory.LazyFunction(lambda: case_in_arrears(days_past_due=200, stage="legal"))
    status = FileStatus.ACCEPTED
    referred_by = factory.SubFactory(UserFactory)
    referred_at = factory.LazyFunction(timezone.now)
    currency = "CNY"


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A one-page PDF exhibit."""

    class Meta:
        model = Evidence

    file = factory.SubFactory(LitigationFileFactory)
    kind = Evidence.Kind.CONTRACT
    name = "Signed credit contract"
    source = "Lender's records"
    proves = "The loan and its terms"
    position = factory.Sequence(lambda n: n)
    original_name = "contract.pdf"
    content_type = "application/pdf"
    extension = ".pdf"
    size = factory.LazyAttribute(lambda o: len(o.content))
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.content).hexdigest())
    pages = 1
    uploaded_by = factory.SubFactory(UserFactory)
    uploaded_at = factory.LazyFunction(timezone.now)
    stored = factory.LazyAttribute(lambda o: ContentFile(o.content, name="exhibit.pdf"))

    class Params:
        content = factory.LazyFunction(_pdf_bytes)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("content", None)
        return super()._create(model_class, *args, **kwargs)
