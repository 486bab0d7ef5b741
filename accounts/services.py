"""
Every write the accounts app knows. Later apps call `audit_record` from their
own services, inside their own transactions, so that a change and its audit
event are committed together or not at all.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit_context import current_context
from accounts.models import AuditEvent, Team, User
from accounts.roles import Role

# Sentinel: "take the actor from the current request" (None means the system).
FROM_REQUEST = object()

LANGUAGE_UNKNOWN = _("Choose one of the offered languages.")


class AccountsError(Exception):
    """A rule of the accounts app refused the change; the message is for the user."""


def audit_record(*, action: str, target=None, actor=FROM_REQUEST, data: dict | None = None) -> AuditEvent:
    """
    Append one event to the audit trail.

    `action` is a dotted code, `<app>.<object>.<verb>` (e.g. `accounts.user.changed`).
    The actor, IP address and browser come from the request being served,
    unless `actor` is given (None: the system acted on its own).
    """
    context = current_context()
    if actor is FROM_REQUEST:
        actor = context.user if context is not None else None
    event = AuditEvent(
        actor=actor,
        action=action,
        ip_address=context.ip_address if context is not None else None,
        user_agent=context.user_agent if context is not None else "",
        data=data or {},
    )
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        event.target_id = str(target.pk)
        event.target_repr = str(target)[:200]
    event.save()
    return event


# --- Users and teams ----------------------------------------------------------


def user_apply_role(user: User) -> None:
    """
    Derive Django's own flags from the role, so that the permission matrix
    stays the one source of truth: only administrators reach the admin site.
    """
    is_admin = user.role == Role.ADMIN
    user.is_staff = is_admin
    user.is_superuser = is_admin


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "",
) -> User:
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=first_name,
        last_name=last_name,
        email=email,
        language=language,
    )
    user_apply_role(user)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(action="accounts.user.created", target=user, data={"role": role, "team": str(team or "")})
    return user


@transaction.atomic
def user_language_set(*, user: User, language: str) -> None:
    """Remember the interface language the user chose."""
    if language not in dict(settings.LANGUAGES):
        raise AccountsError(LANGUAGE_UNKNOWN)
    if user.language == language:
        return
    previous = user.language
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        action="accounts.user.language_changed", target=user, actor=user, data={"from": previous, "to": language}
    )


@transaction.atomic
def team_create(*, name: str, kind: str, lead: User | None = None) -> Team:
    team = Team(name=name, kind=kind, lead=lead)
    team.full_clean()
    team.save()
    audit_record(action="accounts.team.created", target=team, data={"kind": kind, "lead": str(lead or "")})
    return team


# --- Housekeeping -------------------------------------------------------------


def sessions_clear_expired(*, now=None) -> int:
    """Delete the sessions that have expired; returns how many went."""
    now = now or timezone.now()
    deleted, _by_model = Session.objects.filter(expire_date__lt=now).delete()
    return deleted
