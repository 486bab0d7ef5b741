"""The automation's page: the pages of the bar's "Automation" entry a user may use, each with what it is for."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path

from accounts.navigation import nav_group_items_for


@login_required
def automation_hub(request):
    items = nav_group_items_for(request.user, "automation")
    if not items:
        raise PermissionDenied
    return render(request, "collection/automation.html", {"items": items})


urlpatterns = [path("automation/", automation_hub, name="automation")]
