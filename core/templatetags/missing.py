"""``{% load missing %}``: ``{{ record.missing.item|reason }}`` words the reason an item is empty
(``Not done``, with the note after a colon when there is one); nothing when there is none."""

from django import template

from core.missing import MissingCode

register = template.Library()


@register.filter
def reason(given) -> str:
    if not isinstance(given, dict) or given.get("code") not in MissingCode.values:
        return ""
    text = MissingCode(given["code"]).label
    return f"{text}: {given['note']}" if given.get("note") else text
