"""
Who is acting, and from where, for the request being served.

The middleware sets it; `audit_record` reads it, so a service called from a
view need not be handed the request. Celery tasks have no request: their
events are the system's (no actor, no IP) unless the task passes an actor.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    user: object | None
    ip_address: str | None
    user_agent: str


_current: ContextVar[RequestContext | None] = ContextVar("arrears_audit_context", default=None)


def current_context() -> RequestContext | None:
    return _current.get()


@contextmanager
def acting(context: RequestContext):
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry set by our own proxies."""
    if settings.TRUSTED_PROXY_COUNT:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= settings.TRUSTED_PROXY_COUNT:
            return forwarded[-settings.TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR") or None


def context_from_request(request) -> RequestContext:
    user = getattr(request, "user", None)
    return RequestContext(
        user=user if user is not None and user.is_authenticated else None,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
