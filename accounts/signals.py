"""
Login, logout, failed logins and lockouts go to the audit trail (Django and
django-axes announce them as signals).
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.services import audit_record


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_record(action="accounts.login", target=user, actor=user)


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="accounts.logout", target=user, actor=user)


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`.
    audit_record(action="accounts.login_failed", actor=None, data={"username": credentials.get("username", "")[:150]})


@receiver(user_locked_out, dispatch_uid="accounts.audit_login_locked_out")
def audit_login_locked_out(sender, request, username, ip_address, **kwargs):
    # Sent when a failure reaches a limit and again for each attempt refused
    # during the lock; the address is the event's own (the audit context's).
    audit_record(action="accounts.login_locked_out", actor=None, data={"username": (username or "")[:150]})
