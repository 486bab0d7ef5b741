import datetime

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, User


def _start_of_local_day(day: datetime.date) -> datetime.datetime:
    # Dates are the viewer's: filter on a range, which keeps the index usable.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.ModelChoiceFilter(
        label=_("Who"), queryset=User.objects.order_by("username"), empty_label=_("Anyone")
    )
    action = django_filters.CharFilter(label=_("Action"), lookup_expr="startswith")
    target_type = django_filters.ModelChoiceFilter(
        label=_("Object type"),
        queryset=ContentType.objects.exclude(app_label__in=["admin", "contenttypes", "sessions"]).order_by(
            "app_label", "model"
        ),
        empty_label=_("Any"),
    )
    target_id = django_filters.CharFilter(label=_("Object id"))
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("To"), method="filter_date_to", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "target_type", "target_id", "date_from", "date_to"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of_local_day(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_start_of_local_day(value + datetime.timedelta(days=1)))
