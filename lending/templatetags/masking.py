"""`{% load masking %}`: lending's masking rules for templates of every app."""

from django import template

from lending.masking import mask_address

register = template.Library()


@register.filter
def masked_address(address: str) -> str:
    """`{{ visit.address|masked_address }}`: the province and city, the rest starred (pages of masked roles)."""
    return mask_address(address or "")
