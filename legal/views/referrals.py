"""Referring a case to legal, and deciding a referral."""

urlpatterns = []
