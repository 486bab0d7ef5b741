from django.utils.functional import SimpleLazyObject

from accounts.navigation import nav_items_for


def navigation(request):
    """The navigation entries the current user may use (computed only if a template asks)."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": SimpleLazyObject(lambda: nav_items_for(user, request.path))}
