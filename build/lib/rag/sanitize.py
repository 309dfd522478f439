"""One home for each rule about text from outside: which URLs may become links, which
characters are stripped, how text is shown in a log line, and what an [n] citation marker is.

Ingest, rendering, logging, the backends and the evals all call these; none keeps a
copy with its own details.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

# --------------------------------------------------------------------------- URLs


def safe_url(url: str) -> str:
    """The URL if it is a plain http(s) link to a named host, else "".

    Refused: other schemes (javascript:, data:, file:), relative and scheme-relative links,
    control, format (bidi, zero-width) and space characters anywhere, a bad port, and
    credentials: `https://news.example@evil.example/` shows one host and opens another,
    and a `user:password@` must not be published. Surrounding spaces are dropped.
    """
    url = (url or "").strip()
    if not url or any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return ""
    try:
        u = urlsplit(url)
        u.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return ""
    if u.scheme not in ("http", "https") or not u.hostname or "@" in u.netloc:
        return ""
    return url


def canonical_url(url: str) -> str:
    """An article's identity: the URL if `safe_url` accepts it, with scheme and host lower-cased, the
    default port, the fragment and tracking parameters (utm_*, fbclid, gclid, ref, ...) removed and the
    other query parameters sorted; else "". The same story reached from a feed, a sitemap and a shared
    link is one article."""
    url = safe_url(url)
    if not url:
        return ""
    from courlan import normalize_url  # its tracker list is maintained from the ad-blocking filter lists

    try:
        clean = normalize_url(url, strict=False)
    except ValueError:
        return ""
    return safe_url(urlunsplit(urlsplit(clean)._replace(fragment="")))


# --------------------------------------------------------------------------- invisible characters

# Characters that show nothing but can carry hidden instructions for a model (Unicode tag
# characters, variation-selector "smuggling"), reverse what a reader sees (bidi overrides),
# or drive a terminal (ANSI escapes, other control characters).
_ANSI = re.compile(r"\x1b\][^\x07\x1b]{0,512}(\x07|\x1b\\)|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")  # OSC, CSI, others
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u00ad\u200b\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef]")
_VARIATION_SELECTORS = re.compile("[\U000e0100-\U000e01ef]")
_TYPED_AWAY = ("Cc", "Cf", "Co", "Cs")


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences (colours, cursor moves, window titles)."""
    return _ANSI.sub("", text)


def strip_invisible(text: str) -> str:
    """Article text: remove ANSI escapes, control characters and invisible formatting that can hide
    text. Zero-width (non-)joiners and left/right-to-left marks stay: scripts and RTL quotes need
    them; so do tab, newline, form feed and carriage return."""
    return _INVISIBLE.sub("", strip_ansi(text))


def strip_controls(text: str) -> str:
    """A question a reader typed: remove ANSI escapes and every control, format, private-use and
    surrogate character but newline and tab, and variation selectors. Stricter than article text:
    a question needs no joiners, and anything invisible in it can only hide something."""
    text = strip_ansi(text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _TYPED_AWAY or ch in "\n\t")
    return _VARIATION_SELECTORS.sub("", text)


# --------------------------------------------------------------------------- logs

_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}


def for_log(text, limit: int = 300) -> str:
    """Text from outside made safe for one log or terminal line: line breaks, escapes, bidi and
    other invisible characters are shown as \\x.. codes, so nobody can forge a line or recolour one.
    `limit` caps the length (0: no cap)."""
    text = text if isinstance(text, str) else repr(text)
    if limit and len(text) > limit:
        text = f"{text[:limit]}...(+{len(text) - limit} chars)"
    return "".join(ch if unicodedata.category(ch) not in _UNSAFE else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


# --------------------------------------------------------------------------- [n] citation markers

MARK = re.compile(r"\[(\d{1,3})\]")  # group 1: the passage number
_SPACED_MARK = re.compile(r"\s*\[\d{1,3}\]")
_LEADING_MARKS = re.compile(r"^(\s*\[\d{1,3}\])+")


def markers(text: str) -> list[int]:
    """The numbers of the [n] markers in `text`, in order."""
    return [int(n) for n in MARK.findall(text)]


def leading_markers(text: str) -> tuple[list[int], str]:
    """The markers `text` opens with (before any word) and the text after them."""
    m = _LEADING_MARKS.match(text)
    return (markers(m.group()), text[m.end():]) if m else ([], text)


def strip_markers(text: str) -> str:
    """`text` without its [n] markers (and the space before each one), e.g. to count its words."""
    return _SPACED_MARK.sub("", text).strip()
