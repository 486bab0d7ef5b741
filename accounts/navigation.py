"""
The navigation bar. Each app registers its entries in its AppConfig.ready(),
naming the capability a user needs to see them, so the bar shows each role
only what it may use and accounts need not know the apps to its right.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import user_can


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    capability: str | None = None  # None: every logged-in user
    order: int = 100


_items: dict[str, NavItem] = {}


def nav_register(item: NavItem) -> None:
    _items[item.key] = item


def nav_items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    visible = [item for item in _items.values() if item.capability is None or user_can(user, item.capability)]
    return [
        {"key": item.key, "label": item.label, "url": reverse(item.url_name)}
        for item in sorted(visible, key=lambda item: (item.order, item.key))
    ]


# Where a role lands after logging in, when an app to the right has a better
# page for it than the role's home (a collector's queue, a field agent's day).
_landings: dict[str, str] = {}


def landing_register(role: str, url_name: str) -> None:
    _landings[role] = url_name


def landing_url_for(user) -> str | None:
    url_name = _landings.get(getattr(user, "role", ""))
    return reverse(url_name) if url_name else None
