"""Hostile markup in questions and articles, in a real browser against a real server: shown as text,
nothing runs, nothing loads from another host, the page does not navigate.

tests/test_ui_browser.py covers <script>, <img onerror>, a javascript: link, an iframe and a remote
markdown image; these are the rest of the usual XSS and exfiltration vectors (SVG, MathML, srcset,
<base>, <meta refresh>, stylesheets, CSS url(), forms, <object>/<embed>, media, srcdoc, ontoggle,
autofocus, data: URLs), each in a question and inside an article.
"""
from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

from conftest import CORPUS
from hardening_kit import ROOT, start_in
from live_server import ARGS, CHROMIUM

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts"

PAYLOADS = [
    "<svg/onload=window.__xss='svg1'>",
    "<svg><script>window.__xss='svg2'</script><image href=http://evil.example/svg.png /></svg>",
    "<math><mtext><img src=x onerror=window.__xss='math'></mtext></math>",
    "<a href=\"javascript:window.__xss='a'\">read more</a>",
    "<img srcset=\"http://evil.example/srcset.png 1x\">",
    "<base href=\"http://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=http://evil.example/refresh\">",
    "<link rel=\"stylesheet\" href=\"http://evil.example/link.css\">",
    "<style>@import url(http://evil.example/import.css); body{background:url(http://evil.example/bg.png)}</style>",
    "<div style=\"background:url(http://evil.example/div.png)\">styled</div>",
    "<form action=\"http://evil.example/form\"><button>go</button></form>",
    "<object data=\"http://evil.example/o.swf\"></object><embed src=\"http://evil.example/e.swf\">",
    "<video poster=\"http://evil.example/poster.png\"></video><audio src=\"http://evil.example/a.mp3\" autoplay></audio>",
    "<iframe srcdoc=\"<script>parent.__xss='srcdoc'</script>\"></iframe>",
    "<details open ontoggle=\"window.__xss='details'\">x</details>",
    "<input autofocus onfocus=\"window.__xss='input'\">",
    "[data link](data:text/html,<script>alert(1)</script>) ![md](http://evil.example/md.png)",
    "<img src=\"//evil.example/protocol-relative.png\">",
]
# In an article, markdown would read "__x__" as bold and keep only a link's text: these survive it verbatim.
IN_ARTICLE = [p.replace("__xss", "pwn") for p in PAYLOADS[:16]] + PAYLOADS[17:]
ARTICLE = ("---\ntitle: \"Quillmere <svg onload=window.__xss='title'> budget\"\nurl: \"javascript:window.__xss='url'\"\n---\n"
           "The Quillmere council approved the harbour budget on Monday after a long debate. "
           + " ".join(f"Clause {i} of the budget reads {p} in full." for i, p in enumerate(IN_ARTICLE)) + "\n")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, embedder):
    from rag.ingest import ingest
    from rag.store import Store

    work = tmp_path_factory.mktemp("xss")
    (work / "data").mkdir()
    shutil.copytree(CORPUS, work / "corpus")
    (work / "corpus" / "quillmere.md").write_text(ARTICLE)
    report = ingest([work / "corpus"], Store.open(work / "data" / "store", create=True), embedder, exclude_faq=False)
    assert not report.skipped
    server = start_in(work, work / "data" / "store", RAG_RATE_LIMIT="0")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(hostile_site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        own = urlsplit(hostile_site.url).netloc
        page.outside, page.dialogs, page.navigations = [], [], []

        def route(r):  # nothing may leave the page: record and block any other host
            if urlsplit(r.request.url).scheme in ("http", "https", "ws", "wss") and urlsplit(r.request.url).netloc != own:
                page.outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        context.route("**/*", route)
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("framenavigated", lambda f: page.navigations.append(f.url) if f == page.main_frame else None)
        context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                                "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
        page.goto(hostile_site.url + "/")
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        context.close()
        browser.close()


def _ask(page, question: str) -> None:
    before = page.locator("#chat .answer, #chat .refusal, #chat .notice").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.locator("#chat .answer, #chat .refusal, #chat .notice").nth(before).wait_for(timeout=60_000)


def test_hostile_markup_in_articles_and_questions_stays_text(page, hostile_site):
    _ask(page, "When did the Quillmere council approve the harbour budget?")
    sources = page.locator("#sources").inner_text()
    assert "Quillmere council approved the harbour budget" in page.locator("#chat").inner_text()
    quoted = ""
    for i in (0, 2, 5, 7, 8, 13, 16):  # answers quoting the article's payloads, with their sources
        _ask(page, f"What does clause {i} of the Quillmere budget read?")
        quoted += page.locator("#chat .answer, #chat .refusal").last.inner_text() + page.locator("#sources").inner_text()
    for i in (0, 2, 5, 7, 8, 13, 16):
        assert IN_ARTICLE[i] in quoted, IN_ARTICLE[i]
    for i in range(0, len(PAYLOADS), 3):  # several questions, each carrying three payloads
        _ask(page, " ".join(PAYLOADS[i:i + 3]) + " What did the Quillmere council approve?")
    page.wait_for_timeout(1500)  # let anything that would load, run or navigate do so
    chat = page.locator("#chat").inner_text()
    sources += page.locator("#sources").inner_text()
    for p in PAYLOADS:  # every payload a reader typed is shown literally
        assert p in chat, p
    assert "<svg onload=window.__xss='title'>" in sources  # the title, as text

    assert page.evaluate("window.__xss") is None and page.evaluate("window.pwn") is None
    assert page.dialogs == [] and page.outside == [], (page.dialogs, page.outside)
    assert all(u.startswith(hostile_site.url) for u in page.navigations), page.navigations
    assert page.url.startswith(hostile_site.url)
    inside = "#chat *, #sources *"
    assert page.evaluate(f"""[...document.querySelectorAll('{inside}')]
        .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length""") == 0
    assert page.evaluate(f"""[...document.querySelectorAll('{inside}')]
        .filter(e => ['SCRIPT','IFRAME','OBJECT','EMBED','BASE','META','LINK','STYLE','FORM','VIDEO','AUDIO',
                      'MATH','DETAILS','INPUT'].includes(e.tagName)
                     || (e.tagName === 'svg' && e.closest('button') === null && e.querySelector('script, image'))).length""") == 0
    hrefs = page.evaluate(f"[...document.querySelectorAll('{inside}')].filter(e => e.tagName === 'A').map(a => a.getAttribute('href'))")
    assert all(h and (h.startswith("#") or h.startswith("https://") or h.startswith("http://")) for h in hrefs), hrefs
    assert not any("javascript" in h or "data:" in h or "evil.example" in h for h in hrefs), hrefs
    # Gradio's own <base href="./"> only; the document still resolves links against this server
    assert page.evaluate("[...document.querySelectorAll('base')].map(b => b.getAttribute('href'))") == ["./"]
    assert page.evaluate("document.baseURI").startswith(hostile_site.url)
    assert not page.evaluate("window.__csp"), page.evaluate("window.__csp")  # nothing even tried
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-hardening-xss.png"), full_page=True)
