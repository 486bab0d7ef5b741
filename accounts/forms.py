from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import services

LOGIN_LOCKED = _("Too many failed attempts for this user name. Try again in %(minutes)d minutes.")


class LoginForm(AuthenticationForm):
    """
    Django's login form, with a limit on failed attempts per user name.
    Its error never says whether the user name exists.
    """

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and services.login_is_locked(username=username):
            raise forms.ValidationError(LOGIN_LOCKED, code="locked", params={"minutes": services.login_lock_minutes()})
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                services.login_failure_register(username=username)
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        services.login_failures_clear(username=user.get_username())


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
