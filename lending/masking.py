"""How personal data is shown to staff who may not see it whole."""

from accounts.permissions import Capability, user_can


def mask_national_id(national_id: str) -> str:
    """Keep the region prefix and the last four: 110101199001011234 -> 1101**********1234."""
    if len(national_id) <= 8:
        return "*" * len(national_id)
    return national_id[:4] + "*" * (len(national_id) - 8) + national_id[-4:]


def national_id_for(user, national_id: str) -> str:
    if not national_id or user_can(user, Capability.SEE_FULL_NATIONAL_ID):
        return national_id
    return mask_national_id(national_id)


def borrower_name_for(user, name: str) -> str:
    """Staff who may see lending data see the name whole; anyone else its first character and stars."""
    if not name or user_can(user, Capability.VIEW_LENDING):
        return name
    return name[:1] + "*" * max(len(name) - 1, 2)
