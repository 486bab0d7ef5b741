"""The payments API's tokens: created with a key shown once (only its SHA-256 is stored), and checked on each call."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.intake.errors import IntakeError
from lending.models import IntakeToken

TOKEN_NAME_TAKEN = _("A token with this name exists already.")
TOKEN_NAME_REQUIRED = _("A token needs a name.")


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def intake_token_create(*, name: str, actor=None) -> tuple[IntakeToken, str]:
    """A new token for the core system: returns it with its key, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise IntakeError(str(TOKEN_NAME_REQUIRED))
    if IntakeToken.objects.filter(name=name).exists():
        raise IntakeError(str(TOKEN_NAME_TAKEN))
    key = secrets.token_urlsafe(32)
    token = IntakeToken.objects.create(name=name, key_sha256=_token_hash(key))
    audit_record(action="lending.intake_token.created", target=token, actor=actor, data={"name": name})
    return token, key


def intake_token_authenticate(*, key: str) -> IntakeToken | None:
    """The active token with this key, or None."""
    if not key:
        return None
    token = IntakeToken.objects.filter(key_sha256=_token_hash(key), is_active=True).first()
    if token is not None:
        IntakeToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
