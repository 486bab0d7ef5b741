"""
Collection in the admin. Configuration (portfolios, team work rules,
collectors' capacity) is edited here, audited like any staff action; a
portfolio's contact limits are held to stricter-only here too. What happens
on cases (contacts, promises, arrangements, holds, visits, the timeline) is
written only by collection's services, so it is shown read-only.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditedAdminMixin
from collection import compliance
from collection.models import (
    AgencyMember,
    Arrangement,
    ArrangementInstallment,
    Case,
    CaseAccount,
    CaseEvent,
    CollectorCapacity,
    ContactAttempt,
    FieldVisit,
    Hold,
    Portfolio,
    PromiseToPay,
    StageChange,
    TeamWorkRule,
    VisitAttachment,
    case_id_from_number,
)
from collection.services.portfolios import LIMIT_FIELDS


class ReadOnlyAdminMixin:
    """Shown, never added, changed or deleted here: the services own these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True


# --- Configuration ---------------------------------------------------------------------


class PortfolioAdminForm(forms.ModelForm):
    class Meta:
        model = Portfolio
        fields = ("code", "name", "jurisdiction", "is_default", "products", *LIMIT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        jurisdiction = cleaned.get("jurisdiction")
        if jurisdiction in compliance.PROFILES:
            errors = compliance.portfolio_limits_errors(
                jurisdiction=jurisdiction, **{field: cleaned.get(field) for field in LIMIT_FIELDS}
            )
            for field, message in errors.items():
                self.add_error(field, message)
        return cleaned


@admin.register(Portfolio)
class PortfolioAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PortfolioAdminForm
    list_display = ("code", "name", "jurisdiction", "is_default", *LIMIT_FIELDS)
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name")
    filter_horizontal = ("products",)
    fieldsets = (
        (None, {"fields": ("code", "name", "jurisdiction", "is_default", "products")}),
        (
            _("Stricter-only contact limits (empty: the jurisdiction's)"),
            {"fields": LIMIT_FIELDS},
        ),
    )


@admin.register(TeamWorkRule)
class TeamWorkRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("team", "order", "buckets", "stages", "provinces")
    list_select_related = ("team",)
    filter_horizontal = ("products",)


@admin.register(CollectorCapacity)
class CollectorCapacityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "capacity", "accepts_new_cases")
    list_filter = ("accepts_new_cases",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)


# --- Cases and what happened on them (read-only) --------------------------------------------


class CaseAccountInline(ReadOnlyInline):
    model = CaseAccount
    fields = ("account", "joined_on", "left_on")
    readonly_fields = fields
    show_change_link = False


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ("changed_on", "from_stage", "to_stage", "actor")
    readonly_fields = fields
    show_change_link = False


class HoldInline(ReadOnlyInline):
    model = Hold
    fields = ("kind", "started_at", "released_at", "reason")
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "borrower",
        "portfolio",
        "status",
        "stage",
        "bucket",
        "days_past_due",
        "overdue_total",
        "assigned_to",
        "team",
        "priority",
        "next_action_at",
    )
    list_filter = ("status", "stage", "bucket", "portfolio", "team")
    list_select_related = ("borrower", "portfolio", "assigned_to", "team")
    search_fields = ("borrower__name", "borrower__external_id")
    show_full_result_count = False
    inlines = [CaseAccountInline, HoldInline, StageChangeInline]

    @admin.display(description=_("case"), ordering="id")
    def number(self, case):
        return case.number

    def get_search_results(self, request, queryset, search_term):
        """A case number (C-2026-000123) finds that case."""
        case_id = case_id_from_number(search_term) if search_term else None
        if case_id is not None:
            return queryset.filter(pk=case_id), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "kind", "started_at", "started_by", "released_at", "review_on")
    list_filter = ("kind", ("released_at", admin.EmptyFieldListFilter))
    list_select_related = ("case", "started_by")
    show_full_result_count = False


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "case", "borrower", "channel", "direction", "answered_by", "outcome", "actor")
    list_filter = ("channel", "direction", "answered_by", "outcome")
    list_select_related = ("case", "borrower", "actor")
    show_full_result_count = False


@admin.register(PromiseToPay)
class PromiseToPayAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "amount", "currency", "due_on", "status", "paid_amount", "decided_on", "created_by")
    list_filter = ("status",)
    list_select_related = ("case", "created_by")
    show_full_result_count = False


class ArrangementInstallmentInline(ReadOnlyInline):
    model = ArrangementInstallment
    fields = ("number", "due_on", "amount", "paid_amount", "status")
    readonly_fields = fields
    show_change_link = False


@admin.register(Arrangement)
class ArrangementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "kind", "status", "currency", "total_to_pay", "concession", "requested_at", "decided_by")
    list_filter = ("kind", "status")
    list_select_related = ("case", "decided_by")
    show_full_result_count = False
    inlines = [ArrangementInstallmentInline]


class VisitAttachmentInline(ReadOnlyInline):
    model = VisitAttachment
    fields = ("kind", "file", "uploaded_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(FieldVisit)
class FieldVisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "status", "agent", "scheduled_on", "city", "district", "was_recorded", "outcome")
    list_filter = ("status", "was_recorded")
    list_select_related = ("case", "agent")
    show_full_result_count = False
    inlines = [VisitAttachmentInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("occurred_at", "case", "kind", "summary", "actor")
    list_filter = ("kind",)
    list_select_related = ("case", "actor")
    show_full_result_count = False


# --- Agencies (issue 13) ---------------------------------------------------------------


class AgencyMemberAdminForm(forms.ModelForm):
    """Only users of the agency role work for an agency (an administrator gives the role first)."""

    class Meta:
        model = AgencyMember
        fields = ("user", "agency", "is_supervisor")

    def __init__(self, *args, **kwargs):
        from accounts.roles import Role

        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = self.fields["user"].queryset.filter(role=Role.AGENCY_AGENT)


@admin.register(AgencyMember)
class AgencyMemberAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = AgencyMemberAdminForm
    list_display = ("user", "agency", "is_supervisor")
    list_filter = ("agency", "is_supervisor")
    list_select_related = ("user", "agency")
    search_fields = ("user__username", "user__first_name", "user__last_name", "agency__name", "agency__code")
