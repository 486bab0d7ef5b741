"""Lending's models: borrowers and how to reach them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Borrower(models.Model):
    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    national_id = models.CharField(_("national id"), max_length=32, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    monthly_income = models.DecimalField(_("monthly income"), max_digits=14, decimal_places=2, null=True, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    # Blank when the lender sent none: the guard then derives the zones from the
    # address and the numbers (lending/phones.py), never from a default.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    risk_grade = models.CharField(_("risk grade"), max_length=8, blank=True)
    credit_score = models.PositiveSmallIntegerField(_("credit score"), null=True, blank=True)
    # Flags that every contact path obeys (the compliance guard, a later issue).
    is_deceased = models.BooleanField(_("deceased"), default=False)
    is_bankrupt = models.BooleanField(_("bankrupt"), default=False)
    is_vulnerable = models.BooleanField(_("vulnerable"), default=False)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    cease_contact_requested = models.BooleanField(_("cease-contact requested"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ["name", "id"]
        indexes = [
            # Staff look borrowers up by national id and by the start of the name.
            models.Index(fields=["national_id"], name="borrower_national_id_idx"),
            models.Index(fields=["name"], name="borrower_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name


class ContactPoint(models.Model):
    """A way to reach a borrower, or a third party who may help locate them."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile phone")
        HOME_PHONE = "home_phone", _("Home phone")
        WORK_PHONE = "work_phone", _("Work phone")
        EMAIL = "email", _("E-mail")
        HOME_ADDRESS = "home_address", _("Home address")
        WORK_ADDRESS = "work_address", _("Work address")

    class Owner(models.TextChoices):
        BORROWER = "borrower", _("Borrower")
        THIRD_PARTY = "third_party", _("Third party")

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        RELATIVE = "relative", _("Other relative")
        FRIEND = "friend", _("Friend")
        COLLEAGUE = "colleague", _("Colleague")
        OTHER = "other", _("Other")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("number or address"), max_length=300)
    # The same number however written, in E.164 ("+8613800001111"); blank for
    # addresses, e-mails and what is no telephone number (lending/phones.py).
    number_e164 = models.CharField(_("number (E.164)"), max_length=16, blank=True, db_index=True)
    owner = models.CharField(_("belongs to"), max_length=16, choices=Owner.choices, default=Owner.BORROWER)
    # Third parties only: who they are. They may be asked where the borrower
    # is, never told about the debt.
    third_party_name = models.CharField(_("third party's name"), max_length=120, blank=True)
    relation = models.CharField(_("relation to the borrower"), max_length=16, choices=Relation.choices, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    consent_sms = models.BooleanField(_("consents to SMS"), default=False)
    consent_email = models.BooleanField(_("consents to e-mail"), default=False)
    consent_recorded_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["borrower", "owner", "-is_primary", "kind", "id"]
        indexes = [models.Index(fields=["value"], name="contact_point_value_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner="borrower") | ~Q(relation=""),
                name="contact_third_party_has_relation",
                violation_error_message=_("A third party's contact point needs their relation to the borrower."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def is_third_party(self):
        return self.owner == self.Owner.THIRD_PARTY


class PhoneNumberMark(models.Model):
    """
    A telephone number that is not to be called, whoever's record it is on:
    whoever answered asked us to stop, or said it is not the borrower's. It
    belongs to the number (E.164), not to one contact point, so the same
    number stored again, or as another borrower's contact, is refused too.
    """

    class Kind(models.TextChoices):
        DO_NOT_CALL = "do_not_call", _("Do not call")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    number_e164 = models.CharField(_("number (E.164)"), max_length=16)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Where it was learnt: the case (collection's, by id: lending knows no cases) and the point called.
    source_case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True)
    source_contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("phone number mark")
        verbose_name_plural = _("phone number marks")
        ordering = ["number_e164", "recorded_at", "id"]
        constraints = [
            # Once is enough: the first mark of a kind stands (who, when, where).
            models.UniqueConstraint(fields=["number_e164", "kind"], name="phone_number_mark_once"),
            models.CheckConstraint(condition=~Q(number_e164=""), name="phone_number_mark_has_number"),
        ]

    def __str__(self):
        return f"{self.number_e164}: {self.get_kind_display()}"
