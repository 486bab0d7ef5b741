"""
The administration site: users, roles and teams, and the failed logins that
lock a user name out. Changes made here are
audited like any other staff action; audit events are shown read-only.
"""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Team, User
from accounts.services import audit_record, user_apply_role


class AuditedAdminMixin:
    """Write an audit event for every create, change and delete made in the admin."""

    def _audit_action(self, obj, verb):
        return f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = sorted(set(form.changed_data) - {"password", "password1", "password2"})
        if "password1" in form.changed_data or "password" in form.changed_data:
            changed.append("password")
        audit_record(
            action=self._audit_action(obj, "changed" if change else "created"), target=obj, data={"fields": changed}
        )

    def delete_model(self, request, obj):
        audit_record(action=self._audit_action(obj, "deleted"), target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action=self._audit_action(obj, "deleted"), target=obj)
        super().delete_queryset(request, queryset)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "team", "is_active", "last_login")
    list_filter = ("role", "team", "is_active")
    list_select_related = ("team",)
    search_fields = ("username", "first_name", "last_name", "email")
    # Django's staff/superuser flags and per-user permissions are derived from
    # the role (accounts/permissions.py), so they are not edited here.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and team"), {"fields": ("role", "team", "is_active")}),
        (_("Preferences"), {"fields": ("language", "time_zone")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "role", "team")}),)
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request, obj, form, change):
        user_apply_role(obj)
        super().save_model(request, obj, form, change)


class MemberInline(admin.TabularInline):
    model = User
    fields = ("username", "first_name", "last_name", "role", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "lead", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("lead",)
    search_fields = ("name",)
    inlines = [MemberInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everybody, administrators included."""

    list_display = ("occurred_at", "actor", "action", "target_type", "target_repr", "ip_address")
    list_filter = ("action", ("occurred_at", admin.DateFieldListFilter))
    list_select_related = ("actor", "target_type")
    search_fields = ("action", "target_repr", "actor__username")
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Failed logins counted by django-axes (accounts/throttling.py). Deleting an
# attempt unlocks its user name and address; the deletion is audited. Axes'
# own logs of logins and failures stay off (the audit trail has them), so
# their empty pages are not offered.
_replaced_or_unused = [AccessAttempt]
if settings.AXES_DISABLE_ACCESS_LOG:
    _replaced_or_unused.append(AccessLog)
if not settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
    _replaced_or_unused.append(AccessFailureLog)
for _model in _replaced_or_unused:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AuditedAdminMixin, AxesAccessAttemptAdmin):
    pass
