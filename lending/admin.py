"""Lending in the admin: products and buckets are configured here; the rest is shown read-only."""

from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from lending.models import Bucket, CreditProduct, DelinquencyRun, IntakeToken


@admin.register(CreditProduct)
class CreditProductAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "currency",
        "annual_interest_rate",
        "daily_penalty_rate",
        "late_fee",
        "grace_days",
        "charges_cap_annual_rate",
        "is_active",
    )
    list_filter = ("kind", "currency", "is_active")
    search_fields = ("code", "name")


@admin.register(Bucket)
class BucketAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "label", "min_days", "max_days")


@admin.register(IntakeToken)
class IntakeTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py intake_token_create`; here they can be seen and deactivated."""

    list_display = ("name", "is_active", "created_at", "last_used_at")
    readonly_fields = ("name", "key_sha256", "created_at", "last_used_at")
    fields = ("name", "is_active", "key_sha256", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(DelinquencyRun)
class DelinquencyRunAdmin(admin.ModelAdmin):
    """What each night's run did (written by lending.delinquency.run_nightly)."""

    list_display = ("as_of", "installments_accrued", "accounts_refreshed", "snapshots_written", "finished_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
