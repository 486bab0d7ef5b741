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
    # An item of a group is not in the bar itself: the group's one entry leads to a page listing its items.
    group: str = ""
    description: str = ""  # the line under the item on its group's page
    # Hidden from whoever holds this capability (the lender's queues from an agency agent, who has their own).
    hidden_with: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """One entry of the bar standing for several pages (the automation's seven), shown if any is visible."""

    key: str
    label: str
    url_name: str
    order: int = 100


_items: dict[str, NavItem] = {}
_groups: dict[str, NavGroup] = {}


def nav_register(item: NavItem) -> None:
    _items[item.key] = item


def nav_group_register(group: NavGroup) -> None:
    _groups[group.key] = group


def _visible(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    visible = [
        item
        for item in _items.values()
        if (item.capability is None or user_can(user, item.capability))
        and not (item.hidden_with and user_can(user, item.hidden_with))
    ]
    return sorted(visible, key=lambda item: (item.order, item.key))


def nav_items_for(user, path: str = "") -> list[dict]:
    """The bar's entries for `user`; `current` marks the one `path` is on (a group's, for any of its pages)."""
    entries = []
    groups_shown = set()
    for item in _visible(user):
        group = _groups.get(item.group)
        if group is None:
            entries.append((item.order, item.key, item.label, reverse(item.url_name), [reverse(item.url_name)]))
        elif group.key not in groups_shown:
            groups_shown.add(group.key)
            urls = [reverse(member.url_name) for member in _visible(user) if member.group == group.key]
            entries.append((group.order, group.key, group.label, reverse(group.url_name), urls))
    return [
        {"key": key, "label": label, "url": url, "current": _is_current(path, url, urls)}
        for _order, key, label, url, urls in sorted(entries, key=lambda entry: (entry[0], entry[1]))
    ]


def _is_current(path: str, url: str, urls: list[str]) -> bool:
    if not path:
        return False
    if path == url:
        return True
    # A group is current on any of its pages and the pages under them; "/" (home) only on itself.
    return len(urls) > 1 and any(member != "/" and path.startswith(member) for member in urls)


def nav_group_items_for(user, group_key: str) -> list[dict]:
    """The items of one group `user` may see, for the group's page."""
    return [
        {"key": item.key, "label": item.label, "url": reverse(item.url_name), "description": item.description}
        for item in _visible(user)
        if item.group == group_key
    ]


# Where a role lands after logging in, when an app to the right has a better
# page for it than the role's home (a collector's queue, a field agent's day).
_landings: dict[str, str] = {}


def landing_register(role: str, url_name: str) -> None:
    _landings[role] = url_name


def landing_url_for(user) -> str | None:
    url_name = _landings.get(getattr(user, "role", ""))
    return reverse(url_name) if url_name else None
