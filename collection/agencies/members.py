"""Which agency a user works for: the scope of every read an agency agent makes goes through here."""

from django.core.exceptions import ObjectDoesNotExist

from accounts.permissions import Capability, user_can


def agency_member_of(user):
    """The user's AgencyMember row, or None (not an agency user, or not linked to an agency yet)."""
    if not user_can(user, Capability.WORK_AGENCY_CASES):
        return None
    try:
        return user.agency_membership  # cached on the user object after the first read
    except ObjectDoesNotExist:
        return None


def agency_id_of(user) -> int | None:
    member = agency_member_of(user)
    return member.agency_id if member is not None else None


def is_agency_supervisor(user) -> bool:
    member = agency_member_of(user)
    return bool(member and member.is_supervisor)
