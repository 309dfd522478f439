"""Personal data a reader may type into a question, replaced before anything is stored.

Emails, phone numbers, IP addresses and long digit runs (account, card, ID numbers)
become `[email]`, `[phone]`, `[ip]` and `[number]`. What news questions need stays:
years and year ranges (2019-2026), dates (2026-11-20, 20/11/2026), figures with
thousands separators (1,200,000), decimals and short numbers.
"""
from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.U)
IP = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# A run of digits and the separators people type in phone numbers; judged by `_replace`.
RUN = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s().\-/]*\d\)?(?![\w])")
DIGITS_NEEDED = 6  # fewer digits than this is a figure, a year or a short code, never scrubbed

_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./]\d{1,2}[./]\d{1,2}")
_YEARS = re.compile(r"(?:1[89]|2[01])\d\d(?:\s*[-/–]\s*(?:1[89]|2[01])\d\d)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:([ ,.])\d{3})(?:\1\d{3})*")


def _replace(m: re.Match) -> str:
    run = m.group(0)
    digits = sum(ch.isdigit() for ch in run)
    if digits < DIGITS_NEEDED:
        return run
    if _DATE.fullmatch(run) or _YEARS.fullmatch(run):
        return run
    if not run.startswith("+") and _THOUSANDS.fullmatch(run):
        return run
    if run.isdigit():
        return "[number]"
    return "[phone]"


def scrub(text: str) -> str:
    """`text` with emails, IP addresses, phone numbers and long digit runs replaced."""
    text = EMAIL.sub("[email]", text or "")
    text = IP.sub("[ip]", text)
    return RUN.sub(_replace, text)
