"""Per-request set-up that depends on the logged-in user."""

import zoneinfo

from django.utils import timezone, translation

from accounts.audit_context import acting, context_from_request


class UserPreferencesMiddleware:
    """Activate the user's saved interface language and time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AuditContextMiddleware:
    """Make the acting user and their IP address known to `audit_record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The user is looked up lazily: requests that write nothing pay nothing.
        with acting(_LazyRequestContext(request)):
            return self.get_response(request)


class _LazyRequestContext:
    def __init__(self, request):
        self._request = request
        self._resolved = None

    def __getattr__(self, name):
        if self._resolved is None:
            self._resolved = context_from_request(self._request)
        return getattr(self._resolved, name)
