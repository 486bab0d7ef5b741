from django.http import Http404
from django.urls import path


def placeholder(request, **kwargs):
    raise Http404


urlpatterns = [
    path("cases/mine/", placeholder, name="my_queue"),
    path("cases/team/", placeholder, name="team_queue"),
    path("cases/unassigned/", placeholder, name="unassigned_pool"),
]
