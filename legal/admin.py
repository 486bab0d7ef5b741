"""Legal in the admin: the legal policy per portfolio and its state limitation periods are configured here."""

from django.contrib import admin

from accounts.admin import AuditedAdminMixin
from legal.models import LegalPolicy, StateLimitation


class StateLimitationInline(admin.TabularInline):
    model = StateLimitation
    extra = 0


@admin.register(LegalPolicy)
class LegalPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "portfolio",
        "min_referral_balance",
        "final_notice_days",
        "manager_approval_above",
        "limitation_years",
    ]
    inlines = [StateLimitationInline]
