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
