from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, SingleTableMixin

from accounts import selectors, services
from accounts.filters import AuditEventFilter
from accounts.forms import LanguageForm
from accounts.navigation import landing_url_for
from accounts.permissions import Capability, CapabilityRequiredMixin, user_can
from accounts.roles import Role
from accounts.tables import AuditEventTable


class LoginView(auth_views.LoginView):
    """Django's login page. Failed attempts are limited by django-axes (config/settings.py, accounts/throttling.py)."""

    redirect_authenticated_user = True


def login_locked_out(request, original_response=None, credentials=None):
    """
    The page of a login that django-axes refused (AXES_LOCKOUT_CALLABLE): the
    login page again, saying for how long, with 429. Like the wrong-password
    error, it never says whether the user name exists.
    """
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {
        "form": AuthenticationForm(request),
        "next": request.POST.get("next", ""),
        "lockout_message": ngettext(
            "Too many failed logins. Logging in from here is paused for %(minutes)d minute.",
            "Too many failed logins. Logging in from here is paused for %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes},
    }
    return render(request, "registration/login.html", context, status=429)


class HomeView(TemplateView):
    """
    Each role lands on its own page: accounts/home/<role>.html, or the page
    an app registered as that role's landing (a collector's queue).
    `?overview=1` shows the home page itself.
    """

    def get(self, request, *args, **kwargs):
        landing = landing_url_for(request.user)
        if landing and not request.GET.get("overview"):
            return redirect(landing)
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        return [f"accounts/home/{self.request.user.role}.html"]

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        context["my_recent_events"] = selectors.audit_events_visible_to(user).filter(actor=user)[:8]
        if user_can(user, Capability.VIEW_AUDIT_TRAIL):
            context["recent_events"] = selectors.audit_events_visible_to(user)[:12]
        teams = selectors.teams_visible_to(user)
        if user_can(user, Capability.VIEW_LED_TEAMS) or user_can(user, Capability.VIEW_ALL_TEAMS):
            context["teams"] = list(teams)
            context["members"] = list(selectors.team_members(teams).select_related("team"))
        if user_can(user, Capability.ADMINISTER):
            counts = selectors.staff_count_by_role()
            context["staff_by_role"] = [(label, counts.get(value, 0)) for value, label in Role.choices]
        return context


home = login_required(HomeView.as_view())


class AuditTrailView(CapabilityRequiredMixin, SingleTableMixin, FilterView):
    capability = Capability.VIEW_AUDIT_TRAIL
    filterset_class = AuditEventFilter
    table_class = AuditEventTable
    template_name = "accounts/audit_trail.html"
    # The trail grows without end: page without counting the whole table.
    paginator_class = LazyPaginator
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return selectors.audit_events_visible_to(self.request.user)


@require_POST
def language_switch(request):
    """Switch the interface language; logged-in users keep their choice across sessions."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(next_url)
    if not form.is_valid():
        messages.error(request, services.LANGUAGE_UNKNOWN)
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 60 * 60,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
