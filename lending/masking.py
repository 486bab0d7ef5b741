"""
How personal data is shown to staff who may not see it whole, and the two
audited ways it is shown whole: a deliberate Reveal click by staff who see it
masked, and every page that shows it whole to staff who may see it so.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from lending.models import Borrower, ContactPoint
from lending.services import LendingError

REVEAL_NOT_ALLOWED = _("You may not reveal a borrower's contact details.")
REVEAL_FIELD_UNKNOWN = _("Only a national id or a contact point can be revealed.")
REVEAL_NOTHING = _("There is nothing on file to reveal.")
REVEALABLE_FIELDS = ("national_id", "contact")

PHONE_KINDS = frozenset({ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE})
ADDRESS_KINDS = frozenset({ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS})


def mask_national_id(national_id: str) -> str:
    """Keep the region prefix and the last four: 110101199001011234 -> 1101**********1234."""
    if len(national_id) <= 8:
        return "*" * len(national_id)
    return national_id[:4] + "*" * (len(national_id) - 8) + national_id[-4:]


def mask_phone(number: str) -> str:
    """Keep the first three and the last four digits: 13800001111 -> 138****1111."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(address: str) -> str:
    """Keep the first letter and the domain: wang.xm@example.com -> w*****@example.com."""
    local, at, domain = address.partition("@")
    if not at:
        return "*" * len(address)
    return local[:1] + "*" * max(len(local) - 1, 3) + "@" + domain


def mask_address(address: str) -> str:
    """Keep the first six characters (province and city, usually): 北京市东城区东四十条1号 -> 北京市东城区******."""
    if len(address) <= 6:
        return "*" * len(address)
    return address[:6] + "*" * 6


def mask_name(name: str) -> str:
    """The first character and stars: 王大明 -> 王**."""
    if not name:
        return name
    return name[:1] + "*" * max(len(name) - 1, 2)


def mask_contact_value(point: ContactPoint) -> str:
    """A contact point's phone number, e-mail or address as masked staff see it."""
    if point.kind in PHONE_KINDS:
        return mask_phone(point.value)
    if point.kind == ContactPoint.Kind.EMAIL:
        return mask_email(point.value)
    return mask_address(point.value)


def sees_full_personal_data(user) -> bool:
    """Whether lending pages show this user national ids, phones, e-mails and addresses whole."""
    return user_can(user, Capability.SEE_FULL_NATIONAL_ID)


def national_id_for(user, national_id: str) -> str:
    if not national_id or sees_full_personal_data(user):
        return national_id
    return mask_national_id(national_id)


def borrower_name_for(user, name: str) -> str:
    """Staff who may see lending data see the name whole; anyone else its first character and stars."""
    if not name or user_can(user, Capability.VIEW_LENDING):
        return name
    return mask_name(name)


def revealed_value(
    *, borrower: Borrower, national_id: bool, actor, contact_point: ContactPoint | None = None
) -> tuple[str, dict]:
    """
    The whole national id, or the contact point's value (a phone, e-mail or
    address, the borrower's or a third party's), and the facts its audit event
    keeps (who looked at what, never the value). Every Reveal button — the
    borrower page's, the case page's — comes through here.
    """
    if not user_can(actor, Capability.REVEAL_CONTACT_DETAILS):
        raise LendingError(REVEAL_NOT_ALLOWED)
    data = {"borrower_id": borrower.pk}
    if national_id:
        value = borrower.national_id
    else:
        if contact_point is None or contact_point.borrower_id != borrower.pk:
            raise LendingError(REVEAL_FIELD_UNKNOWN)
        value = contact_point.value
        data |= {"contact_point_id": contact_point.pk, "kind": contact_point.kind}
        data["third_party"] = contact_point.is_third_party
    if not value:
        raise LendingError(REVEAL_NOTHING)
    return value, data


@dataclass
class ContactRow:
    """One contact point as a page shows it: its value masked or whole, and whether Reveal is offered."""

    point: ContactPoint
    value: str
    third_party_name: str
    masked: bool
    can_reveal: bool
    verdict: object = None  # the compliance guard's, where the page shows one (the case page)


def contact_rows(user, points: list, revealed: dict, *, masked_for_everyone: bool = False) -> tuple[list, list]:
    """
    The borrower's own contact points and the third parties', as `user` sees
    them: whole for roles that see personal data whole (unless the page masks
    for everyone, as the case page does), else masked; `revealed` holds the
    values just revealed, by contact point id.
    """
    can_reveal = user_can(user, Capability.REVEAL_CONTACT_DETAILS)
    full = sees_full_personal_data(user) and not masked_for_everyone
    own, third = [], []
    for point in points:
        whole_or_masked = point.value if full or not point.value else mask_contact_value(point)
        shown = revealed.get(point.pk) or whole_or_masked
        masked = shown != point.value
        row = ContactRow(
            point=point,
            value=shown,
            third_party_name=point.third_party_name if full or not masked else mask_name(point.third_party_name),
            masked=masked,
            can_reveal=can_reveal and masked,
        )
        (third if point.is_third_party else own).append(row)
    return own, third


@transaction.atomic
def borrower_detail_reveal(*, borrower: Borrower, field: str, actor, contact_point: ContactPoint | None = None) -> str:
    """One deliberate look at the national id (field "national_id") or a contact point (field "contact"); audited."""
    if field not in REVEALABLE_FIELDS:
        raise LendingError(REVEAL_FIELD_UNKNOWN)
    value, data = revealed_value(
        borrower=borrower, national_id=field == "national_id", actor=actor, contact_point=contact_point
    )
    audit_record(action="lending.borrower.revealed", target=borrower, actor=actor, data={"field": field, **data})
    return value


def borrower_full_view_record(*, borrower: Borrower, actor, page: str) -> None:
    """One audit event for one page that showed a borrower's personal data whole."""
    audit_record(action="lending.borrower.full_viewed", target=borrower, actor=actor, data={"page": page})
