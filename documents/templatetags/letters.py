"""Filters of the PDF templates: French formats whatever the active language."""

from django import template

from documents import formatting

register = template.Library()


@register.filter
def eur(value):
    return formatting.format_eur(value) if value is not None and value != "" else ""


@register.filter
def rate(value):
    return formatting.format_rate(value) if value is not None and value != "" else ""


@register.filter
def date_fr(value):
    return formatting.date_fr(value) if value else ""


@register.filter
def words(value):
    return formatting.amount_in_words(value) if value is not None and value != "" else ""
