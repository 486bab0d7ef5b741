"""The legal officer's workspace: the file queue, the calendar of deadlines, the cases in the legal stage."""

from django.shortcuts import render
from django.urls import path

from accounts.permissions import Capability, capability_required


@capability_required(Capability.WORK_LEGAL)
def workspace(request):
    return render(request, "legal/workspace.html", {})


urlpatterns = [
    path("", workspace, name="workspace"),
]
