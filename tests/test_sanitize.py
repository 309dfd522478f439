"""The rules in rag/sanitize.py, one by one (pure logic), and that ingest and render share them."""
import pytest

from rag import loaders, render
from rag.sanitize import (MARK, canonical_url, for_log, leading_markers, markers, safe_url, strip_ansi,
                          strip_controls, strip_invisible, strip_markers)

# ------------------------------------------------------------------------------ URLs

KEPT = ["https://news.example/a", "http://news.example", "https://news.example/a?b=1#c", "HTTPS://news.example/a",
        "https://news.example:8443/a", "http://[2001:db8::1]/a", "https://bücher.example/straße"]
REFUSED = [
    "", "   ", "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "vbscript:msgbox",
    "data:text/html,<b>x</b>", "file:///etc/passwd", "ftp://news.example/a", "//evil.example/x", "/relative",
    "news.example/a", "https://", "https:///path", "https://:80/a",
    # whitespace and control characters anywhere: ingest refused only whitespace, render only < 0x21
    "https://news.example/a b", "https://news.example/\nx", "https://news.example/\tx", "https://news.example/\x00",
    "https://news.example/\x7f", "https://news.example/\x85x", "https://news.example/\u00a0x",
    "https://news.example/\u2028x",
    # format characters: a bidi override or a zero-width space makes the link read as something else
    "https://news.example/\u202eexe.txt", "https://news.\u200bexample/",
    # a host only ingest accepted (netloc without a hostname)
    "https://user@/a", "https://@/a",
    # credentials: `news.example@evil.example` opens evil.example; a password must not be published
    "https://news.example@evil.example/", "https://user:secret@news.example/a", "https://user@news.example/a",
    # a port that is not one
    "https://news.example:99999/a", "https://news.example:http/a", "http://[::1/a",
]


@pytest.mark.parametrize("url", KEPT)
def test_safe_url_keeps_plain_http_links(url):
    assert safe_url(url) == url
    assert safe_url(f"  {url}\n") == url  # surrounding space is dropped, not a reason to refuse


@pytest.mark.parametrize("url", REFUSED)
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize("url", KEPT + REFUSED)
def test_ingest_and_render_apply_the_same_url_rule(url, tmp_path):
    assert loaders.safe_url is render.safe_url is safe_url
    # through the real loader: an article keeps a URL exactly when a link to it would be rendered, and the
    # URL it keeps (its identity) is the canonical form of that link
    (tmp_path / "a.json").write_text(__import__("json").dumps({"title": "T", "body": "Body text.", "url": url}))
    art = loaders.load_corpus([tmp_path]).articles[0]
    assert art.url == canonical_url(url)
    assert bool(art.url) == bool(safe_url(url)) and safe_url(art.url) == art.url
    assert art.doc_id == (canonical_url(url) or "a.json#1")


@pytest.mark.parametrize("url, canonical", [
    ("https://news.example/2026/03/story?utm_source=rss&utm_medium=feed", "https://news.example/2026/03/story"),
    ("HTTPS://News.Example:443/a?id=5&fbclid=x&gclid=y#comments", "https://news.example/a?id=5"),
    ("http://news.example:80/a?b=2&a=1", "http://news.example/a?a=1&b=2"),  # parameters in one order
    ("https://news.example:8443/a?page=2", "https://news.example:8443/a?page=2"),  # a real parameter stays
    ("https://news.example/a#:~:text=quote", "https://news.example/a"),
])
def test_canonical_url_drops_what_does_not_name_the_article(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize("url", REFUSED)
def test_canonical_url_refuses_what_safe_url_refuses(url):
    assert canonical_url(url) == ""


def test_safe_url_takes_none():
    assert safe_url(None) == ""


# ------------------------------------------------------------------------------ invisible characters

def test_strip_ansi_removes_colour_cursor_and_title_sequences():
    assert strip_ansi("\x1b[31mred\x1b[0m \x1b[2K\x1b[1Aup \x1b]0;title\x07ok \x1b]8;;u\x1b\\x \x1bMreset") == \
        "red up ok x reset"


def test_strip_invisible_keeps_what_scripts_need():
    tags = "".join(chr(0xE0000 + ord(c)) for c in "PWNED")
    text = f"The mayor\u202e resigned\u202c\u2066 on\u00ad Fri\u200bday{tags}\U000e0101\ufeff\x07\x1b[1m.\x1b[0m"
    assert strip_invisible(text) == "The mayor resigned on Friday."
    kept = "Hindi क्\u200dष, Persian می\u200cخواهم, \u200fRTL\u200e; tab\tnewline\nfeed\x0creturn\r"
    assert strip_invisible(kept) == kept


def test_strip_controls_removes_every_invisible_character_from_a_question():
    tags = "".join(chr(0xE0000 + ord(c)) for c in "PWNED")
    typed = f"\x1b[31mWho\x00 is\u200d \u202eAli\u200cbaba\ue000{tags}\U000e0101?\x1b[0m\r\n\tok"
    assert strip_controls(typed) == "Who is Alibaba?\n\tok"


# ------------------------------------------------------------------------------ logs

def test_for_log_shows_invisible_characters_as_codes():
    assert for_log("a\nb\x1b[2K\u202e\r") == "a\\nb\\x1b[2K\\u202e\\r"
    assert for_log("a" * 500, 10) == "aaaaaaaaaa...(+490 chars)"
    assert for_log("a" * 500, 0) == "a" * 500
    assert for_log(b"\n") == "b'\\n'"


def test_for_log_is_still_importable_from_question():
    from rag.question import for_log as old

    assert old is for_log


# ------------------------------------------------------------------------------ [n] markers

def test_markers_in_order():
    assert markers("One [1]. Two [2][3], then [12] and [123].") == [1, 2, 3, 12, 123]
    assert markers("no [markers] here, nor [1234] nor [ 1] nor [-1]") == []
    assert MARK.search("x [7] y").group(1) == "7"


def test_leading_markers():
    assert leading_markers(" [1] [2]Next sentence [3].") == ([1, 2], "Next sentence [3].")
    assert leading_markers("Words first [1].") == ([], "Words first [1].")


def test_strip_markers_takes_the_space_before_each_one():
    assert strip_markers("Alibaba denies it [1]. Anthropic says so [2][3]. ") == "Alibaba denies it. Anthropic says so."
    assert strip_markers("[1] lead") == "lead"
    assert strip_markers("a list [x] and [1234] stay") == "a list [x] and [1234] stay"


def test_every_marker_reader_uses_the_shared_rule():
    from rag.citations import split_cited
    from rag.evaluation import metrics

    assert metrics.strip_markers is strip_markers
    parts = split_cited("First claim here. [1] Second claim [2][3]. Third [1234] uncited.")
    assert [(p.text, p.markers) for p in parts] == [
        ("First claim here.", (1,)), ("Second claim.", (2, 3)), ("Third [1234] uncited.", ())]
