"""phone_number_mark: a telephone number is not to be called again, for any borrower (PhoneNumberMark)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import audit_record
from lending.models import ContactPoint, PhoneNumberMark
from lending.phones import borrower_number_e164

PHONE_KINDS = frozenset({ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE})


def phone_number_mark(
    *,
    contact_point: ContactPoint | None,
    kind: str | None,
    actor,
    source_case_id: int | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> PhoneNumberMark | None:
    """
    Mark the number of `contact_point` do-not-call or wrong number, for every
    record it is on. Nothing to do (None) when `kind` is None (the outcome
    says nothing about the number) or the point is no telephone number. Once
    a number is marked of a kind, marking it again changes nothing and
    answers the first mark.
    """
    if kind is None or contact_point is None:
        return None
    kind = PhoneNumberMark.Kind(kind)
    number = contact_point.number_e164 or borrower_number_e164(contact_point.value, contact_point.borrower)
    if not number or contact_point.kind not in PHONE_KINDS:
        return None
    existing = PhoneNumberMark.objects.filter(number_e164=number, kind=kind).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            mark = PhoneNumberMark.objects.create(
                number_e164=number,
                kind=kind,
                recorded_at=at or timezone.now(),
                recorded_by=actor,
                source_case_id=source_case_id,
                source_contact_point=contact_point,
                note=note.strip()[:300],
            )
            audit_record(
                action="lending.phone_number.marked",
                target=mark,
                actor=actor,
                data={"kind": kind.value, "contact_point": contact_point.pk, "case": source_case_id},
            )
    except IntegrityError:  # marked at the same moment by another request: theirs stands
        return PhoneNumberMark.objects.get(number_e164=number, kind=kind)
    return mark
