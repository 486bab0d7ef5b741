"""
The intake API answers in JSON only, whatever goes wrong: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 with a JSON body (Django would answer
its HTML 400 page), and any other error response inside the API's prefix
that is not JSON already (an unknown address, a method, an uncaught error:
Django's HTML 404 and 500 pages) is replaced by {"detail": "…"} with the same
status. Django still logs an uncaught error as it always does.

Registered near the top of settings.MIDDLEWARE, so that it sees the final
response and reads the body before any other middleware does.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/intake/"

API_BODY_TOO_LARGE = _("The body is larger than {limit} bytes: send at most 1,000 payments per call.")
API_ERROR_DETAILS = {
    400: _("Bad request."),
    403: _("Forbidden."),
    404: _("No such intake API address."),
    405: _("Use POST."),
    413: _("The body is too large."),
    500: _("The server failed; nothing was recorded. Send the call again later."),
}
API_ERROR_OTHER = _("The request failed.")


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def api_json_errors(get_response):
    def middleware(request):
        if not request.path_info.startswith(API_PREFIX):
            return get_response(request)
        try:
            request.body  # noqa: B018 — read it here, once, so that "too large" is this middleware's answer
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse({"detail": str(API_BODY_TOO_LARGE).format(limit=limit)}, status=413)
        response = get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            detail = API_ERROR_DETAILS.get(response.status_code, API_ERROR_OTHER)
            replaced = JsonResponse({"detail": str(detail)}, status=response.status_code)
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

    return middleware
