"""An agency agent whose action recalls the case (a dispute hold) goes back to their queue, told why."""

import pytest
from django.urls import reverse

from collection.models import HoldKind, PlacementStatus, Stage
from tests.collection.agencies.factories import agency_user, placed_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("htmx", [True, False])
def test_a_dispute_hold_by_the_agent_recalls_the_case_and_sends_them_back_to_their_queue(client, htmx):
    placement = placed_case()
    agent = agency_user(placement.agency)
    client.force_login(agent)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(
        reverse("collection:case_hold_place", args=[placement.case_id]),
        {"hold-kind": HoldKind.DISPUTE, "hold-reason": "Says the phone was never delivered"},
        **headers,
    )
    queue = reverse("collection:agency_queue")
    if htmx:
        assert response.status_code == 200 and response["HX-Redirect"] == queue
    else:
        assert response.status_code == 302 and response["Location"] == queue
    placement.refresh_from_db()
    placement.case.refresh_from_db()
    assert placement.status == PlacementStatus.RECALLED
    assert placement.case.stage != Stage.AGENCY
    page = client.get(queue).content.decode()
    assert "went back to the lender" in page
    # The case is the lender's again: outside the agent's scope.
    assert client.get(reverse("collection:case_detail", args=[placement.case_id])).status_code == 404
