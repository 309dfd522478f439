"""The one-line script embed in a real browser (Debian chromium via Playwright): a newsroom page on one
origin (http://localhost:A, a tiny HTTP server in this process, in RAG_ALLOWED_ORIGINS) loads
/embed.js from the shared real chat server on another (http://127.0.0.1:B). Observed: the frame placed
after the tag and sized to its content (it grows when an answer arrives), the page's colour scheme and
accent followed, a forged height message from a third origin ignored, keyboard-only asking, the
screen-reader names of the input and each citation, a citation link that opens the article at the
quote outside the frame, the story scope's notice and its analytics record; and nothing at all on a
page whose origin is not allowed.
"""
from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from rag.config import parse_origins
from rag.scope import OTHER_COVERAGE

pytestmark = pytest.mark.slow

FERRY = "https://news.example/zorblax-ferry"  # one of the served store's articles (tests/live_server.py)
ASK_FERRY = "How often will the Zorblax ferry run?"
ASK_ELSEWHERE = "What is Anthropic accusing Alibaba of?"  # answered from another article
FORGED = 2345  # the height a hostile frame on the page asks for (within what embed.js accepts)


class _Newsroom(BaseHTTPRequestHandler):
    chat = other = ""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/forge"):  # another site's frame on the story page, posting as if it were ours
            body = ("<!doctype html><title>ad</title><script>setInterval(() => parent.postMessage("
                    f"{{type: 'rag:height', height: {FORGED}}}, '*'), 100)</script>")
        else:  # a story in a narrow column (the chat's Sources panel stacks below the chat there)
            body = (f'<!doctype html><html lang="en"><title>Story</title><main style="max-width:420px">'
                    f'<h1>Ferry timetable changes</h1><p>The story text.</p>'
                    f'<script src="{self.chat}/embed.js" data-article="{FERRY}?utm_source=feed" '
                    f'data-accent="#0a5cad" data-font="Georgia;}} body {{display:none" async></script>'
                    f'<p id="after">More of the story.</p>'
                    f'<iframe id="ad" src="{self.other}/forge" title="ad" width="10" height="10"></iframe></main>')
        data = body.encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def newsroom(live_server):
    """The story page from the allowed origin, and the same page from origins that are not allowed."""
    allowed_port = urlsplit(live_server.allowed_origin).port
    other = f"http://localhost:{live_server.other_port}"
    handler = type("Newsroom", (_Newsroom,), {"chat": live_server.url, "other": other})
    servers = [ThreadingHTTPServer(("127.0.0.1", p), handler) for p in (allowed_port, live_server.other_port)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield {"allowed": f"http://localhost:{allowed_port}/story", "other": f"{other}/story",
           "same_port_other_host": f"http://127.0.0.1:{allowed_port}/story"}
    for s in servers:
        s.shutdown()
        s.server_close()


def test_allow_list_entries_match_the_origins_browsers_send(browser):
    """embed.js and frame.js compare location.origin / event.origin with the list exactly: the list must
    be normalised the way the browser normalises an origin."""
    page = browser.new_page()
    raw = ["HTTPS://News.Example", "https://news.example:443/", "http://localhost:8000", "http://LOCALHOST:80",
           "https://[::1]:8443", "https://xn--nws-ena.example"]
    try:
        for r in raw:
            assert parse_origins(r)[0] == page.evaluate("r => new URL(r).origin", r), r
    finally:
        page.close()


def _height(page) -> int:
    return int(page.evaluate("parseInt(document.querySelector('main iframe:not(#ad)').style.height)"))


def _answer(frame, n: int):
    answer = frame.locator("#chat .answer, #chat .refusal").nth(n)
    answer.wait_for(timeout=60_000)
    frame.locator("#chat [role=log] .pending").wait_for(state="detached", timeout=60_000)
    return answer


def test_one_line_embed_on_an_allowed_page(browser, live_server, newsroom):
    context = browser.new_context(viewport={"width": 900, "height": 900}, color_scheme="dark")
    context.route("https://news.example/**", lambda route: route.fulfill(
        content_type="text/html", body="<title>Zorblax ferry</title><p>The harbour authority said the Zorblax "
                                       "ferry will run every twenty minutes during the festival weekend.</p>"))
    page = context.new_page()
    hosts = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.goto(newsroom["allowed"])
    try:
        chat = page.locator("main iframe:not(#ad)")
        chat.wait_for()
        # right where the tag is, on the chat's origin, with the story and the page's origin in its URL
        assert page.evaluate("document.querySelector('script[src$=\"/embed.js\"]').nextElementSibling.tagName") \
            == "IFRAME"
        src = chat.get_attribute("src")
        assert src.startswith(live_server.url + "/embed/?") and "article=" in src
        assert chat.get_attribute("title") == "Ask about this story"
        frame = page.frame_locator("main iframe:not(#ad)")
        box = frame.get_by_role("textbox", name="Your question")  # the input's screen-reader name
        box.wait_for(timeout=60_000)
        page.wait_for_function("parseInt(document.querySelector('main iframe:not(#ad)').style.height) !== 760")
        page.wait_for_timeout(300)  # settled (and time for the forged messages)
        before = _height(page)
        assert before != FORGED and 300 < before < 3000

        # the page's scheme (dark), then a change of it, reaches the frame; a bad font is ignored
        inner = next(f for f in page.frames if f.url.startswith(live_server.url))
        assert inner.evaluate("document.body.classList.contains('dark')")
        page.emulate_media(color_scheme="light")
        inner.wait_for_function("!document.body.classList.contains('dark')")
        assert frame.locator("#ask").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(10, 92, 173)"
        assert inner.evaluate("document.documentElement.style.getPropertyValue('--font')") == ""

        # keyboard only: Tab from the top of the page into the frame's question box, type, Enter
        for _ in range(20):
            page.keyboard.press("Tab")
            if inner.evaluate("document.activeElement && document.activeElement.closest('#question') !== null"):
                break
        else:
            pytest.fail("Tab never reached the question box inside the frame")
        page.keyboard.type(ASK_FERRY)
        page.keyboard.press("Enter")
        answer = _answer(frame, 0)
        assert "every twenty minutes" in answer.inner_text()
        assert OTHER_COVERAGE not in answer.inner_text()  # drawn from the story itself
        page.wait_for_function(f"parseInt(document.querySelector('main iframe:not(#ad)').style.height) > {before}")
        assert _height(page) != FORGED

        # every [n] has a screen-reader name; the source link opens the article at the quote, outside the frame
        cites = frame.locator("#chat a.cite")
        assert cites.count() >= 1
        named = frame.get_by_role("link", name=re.compile(r"^Source \d+: Zorblax ferry timetable changes$"))
        assert named.count() == cites.count()
        link = frame.locator("#sources p.meta a").first
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
        assert link.get_attribute("href").startswith(FERRY + "#:~:text=The%20harbour%20authority")
        with context.expect_page() as opened:
            link.click()
        article = opened.value
        article.wait_for_load_state()
        assert article.url.startswith(FERRY + "#:~:text=")
        assert inner.url.startswith(live_server.url + "/embed/")  # the frame did not navigate
        article.close()

        # a question the story does not answer: answered from other coverage, and it says so
        frame.locator("#question textarea").fill(ASK_ELSEWHERE)
        frame.locator("#question textarea").press("Enter")
        assert OTHER_COVERAGE in _answer(frame, 1).inner_text()

        # the editors' log records the embed's story with each question
        db = sa.create_engine(f"sqlite:///{live_server.server.feedback}")
        rows = []
        for _ in range(100):
            with db.connect() as con:
                rows = con.execute(sa.text("SELECT question, article FROM questions WHERE question IN (:a, :b)"),
                                   {"a": ASK_FERRY, "b": ASK_ELSEWHERE}).all()
            if len({q for q, a in rows if a == FERRY}) == 2:
                break
            time.sleep(0.1)
        db.dispose()
        assert {q for q, a in rows if a == FERRY} == {ASK_FERRY, ASK_ELSEWHERE}, rows
        assert hosts <= {urlsplit(newsroom["allowed"]).netloc, urlsplit(live_server.url).netloc,
                         f"localhost:{live_server.other_port}", "news.example"}, hosts
    finally:
        context.close()


@pytest.mark.parametrize("where", ["other", "same_port_other_host"])
def test_a_page_on_an_origin_not_allowed_gets_nothing(browser, newsroom, where):
    context = browser.new_context()
    page = context.new_page()
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    try:
        page.goto(newsroom[where])
        page.wait_for_function("document.querySelector('script[src$=\"/embed.js\"]').dataset.ragEmbedded === '1'")
        for _ in range(50):  # console messages arrive a moment later
            if warnings:
                break
            page.wait_for_timeout(100)
        assert page.locator("main iframe:not(#ad)").count() == 0
        assert any("may not embed the chat" in w and "RAG_ALLOWED_ORIGINS" in w for w in warnings), warnings
    finally:
        context.close()
