"""
Links that apps to the right of collection add to the queue pages (legal's
"Letters for these cases"), registered at start-up like the case-page
sections, so collection shows them without importing those apps. Each link
carries the queue and its current filter, so the page it opens works on the
same cases.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import user_can


@dataclass(frozen=True)
class QueueLink:
    key: str
    label: str
    url_name: str
    capability: str
    order: int = 100


_links: dict[str, QueueLink] = {}


def queue_link_register(link: QueueLink) -> None:
    _links[link.key] = link


def queue_links_for(request, queue) -> list[dict]:
    """The registered links this user may follow from `queue`: [{"key", "label", "url"}], with the filter."""
    query = request.GET.copy()
    query.pop("page", None)
    query["queue"] = queue.key
    return [
        {"key": link.key, "label": link.label, "url": f"{reverse(link.url_name)}?{query.urlencode()}"}
        for link in sorted(_links.values(), key=lambda link: (link.order, link.key))
        if user_can(request.user, link.capability)
    ]
