"""The reader chat in a real browser (Debian chromium via Playwright) against a real server process."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

# Records, in the page and in every frame: CSP violations, and the order in which the
# chat showed its pending state ("Checking sources…") and a final answer.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__seen = [];
new MutationObserver(() => {
  const chat = document.querySelector('#chat');
  if (!chat) return;
  for (const kind of ['pending', 'answer', 'refusal']) {
    const n = chat.querySelectorAll('.' + kind).length;
    const last = window.__seen.filter(s => s.kind === kind).length;
    if (n > last) window.__seen.push({kind, n});
  }
}).observe(document, {subtree: true, childList: true});
"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, live_server):
    """A fresh page (a fresh chat session) that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.console = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.console.append(m.text))
    context.add_init_script(WATCH)
    page.goto(live_server.url + "/")
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    context.close()


def answers(page) -> int:
    return page.locator("#chat .answer, #chat .refusal").count()


def ask(page, question: str) -> None:
    """Type a question, send it, and wait for the final answer (or refusal) to appear."""
    before = answers(page)
    page.fill("#question textarea", question)
    page.click("#ask")
    page.locator("#chat .answer, #chat .refusal").nth(before).wait_for(timeout=60_000)


def last_bot(page):
    return page.locator("#chat .answer, #chat .refusal").last


def only_own_requests(page, live_server) -> set[str]:
    own = urlsplit(live_server.url).netloc
    return {urlsplit(u).netloc for u in page.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")} - {own}


def test_faq_question_streams_a_cited_answer_with_sources(page, live_server):
    question = "What is Anthropic accusing Alibaba of?"
    ask(page, question)
    answer = last_bot(page)
    assert "[1]" in answer.inner_text()
    # "Checking sources…" was on screen before the final answer replaced it.
    seen = [s["kind"] for s in page.evaluate("window.__seen")]
    assert "pending" in seen and seen.index("pending") < seen.index("answer"), seen
    assert page.locator("#chat .pending").count() == 0  # gone once the answer is final
    # [1] links to the Sources panel entry, which holds the verbatim quote, highlighted.
    href = answer.locator("a.cite").first.get_attribute("href")
    assert href.startswith("#src-")
    source = page.locator(f"#sources li{href}")
    quote = source.locator("mark").inner_text()
    api = httpx.post(live_server.url + "/api/ask", json={"question": question}, timeout=60).json()
    assert quote == api["citations"][0]["quote"]
    assert "illicitly accessing" in quote
    assert api["citations"][0]["title"] in source.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)
    assert not page.evaluate("window.__csp")
    assert not only_own_requests(page, live_server)


def test_quote_in_context_date_and_text_fragment_link(page):
    ask(page, "How often will the Zorblax ferry run?")
    source = page.locator("#sources li.source").first
    mark = source.locator("mark").inner_text()
    assert mark.startswith("The harbour authority said the Zorblax ferry will run")
    # the rest of its paragraph is shown around the highlighted quote
    assert "Extra night crossings will be added on Saturday." in source.inner_text()
    assert "2026-11-20" in source.inner_text()
    link = source.locator("p.meta a").get_attribute("href")
    assert link.startswith("https://news.example/zorblax-ferry#:~:text=The%20harbour%20authority")
    assert "noopener" in source.locator("p.meta a").get_attribute("rel")


def test_clicking_an_example_asks_it(page):
    examples = page.locator("#examples")
    question = "Which companies are involved in this dispute?"
    examples.get_by_text(question).click()
    page.locator("#chat .answer, #chat .refusal").first.wait_for(timeout=60_000)
    assert question in page.locator("#chat .question").last.inner_text()
    answer = last_bot(page)
    assert "Anthropic" in answer.inner_text() and "Alibaba" in answer.inner_text() and "[1]" in answer.inner_text()
    assert page.locator("#sources li.source").count() >= 1


def test_follow_up_uses_the_conversation(page, live_server):
    first, follow = "How often will the Zorblax ferry run?", "What about the night crossings?"
    ask(page, first)
    first_answer = last_bot(page).inner_text()
    ask(page, follow)
    shown = last_bot(page).inner_text()

    def api(history):
        return httpx.post(live_server.url + "/api/ask", json={"question": follow, "history": history},
                          timeout=60).json()["answer"]

    with_history = api([{"question": first, "answer": httpx.post(
        live_server.url + "/api/ask", json={"question": first}, timeout=60).json()["answer"]}])
    alone = api([])
    assert with_history != alone  # the history changes this answer...
    assert shown == with_history  # ...and the chat sent it
    assert first_answer in page.locator("#chat").inner_text()


def test_like_is_stored_with_question_answer_and_citations(page, live_server):
    question = "What is Anthropic accusing Alibaba of?"
    ask(page, question)
    page.locator("#chat button[aria-label='Like']").last.click()
    rows = []
    for _ in range(50):
        out = subprocess.run([sys.executable, "-m", "rag", "feedback", "--json", "--file",
                              str(live_server.server.feedback)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        if rows:
            break
        time.sleep(0.2)
    liked = [r for r in rows if r["question"] == question and r["rating"] == "like"]
    assert liked, rows
    row = liked[0]
    assert row["answer"].endswith("[1]") and row["refused"] is False
    assert "illicitly accessing" in row["citations"][0]["quote"]
    # readable as text too
    text = subprocess.run([sys.executable, "-m", "rag", "feedback", "--file", str(live_server.server.feedback)],
                          capture_output=True, text=True, timeout=60).stdout
    assert f"like     Q: {question}" in text


def test_off_topic_question_is_refused_and_offers_examples(page):
    ask(page, "Who won the football world cup in 1998?")
    refusal = last_bot(page)
    assert refusal.get_attribute("class") == "refusal"
    assert "Not in our coverage" in refusal.inner_text()
    assert "example questions" in refusal.inner_text()
    assert page.locator("#sources li.source").count() == 0
    assert page.locator("#examples").get_by_text("What is Anthropic accusing Alibaba of?").is_visible()


def test_page_chrome_is_minimal_and_configurable(page, live_server):
    assert page.locator(".rag-title h1").inner_text() == "Zorblax explainer"
    assert "Answers are drawn from our coverage" in page.locator(".rag-disclaimer p").inner_text()
    assert page.locator("footer").count() == 0 or not page.locator("footer").is_visible()
    assert page.get_by_text("Use via API").count() == 0 and page.get_by_text("Built with Gradio").count() == 0
    assert page.locator("input[type=file]").count() == 0


XSS_QUESTION = ("<script>window.__xss='q1'</script><img src=x onerror=\"window.__xss='q2'\"> "
                "![t](http://evil.example/q.png) <iframe src=\"http://evil.example/q\"></iframe> "
                "[a](javascript:window.__xss='q3') How often will the Zorblax ferry run?")


def test_hostile_text_in_questions_and_articles_stays_text(page, live_server):
    shown_sources = []
    for q in ["Where does the lantern parade start?", "Who won the Zorblax boat race?",
              "How much do tickets for the Zorblax concerts cost?", "Why was the race course moved?", XSS_QUESTION]:
        ask(page, q)
        shown_sources.append(page.locator("#sources").inner_text())
    page.wait_for_timeout(500)  # give anything that would load or run a moment to do it
    sources = "\n".join(shown_sources)
    chat = page.locator("#chat").inner_text()
    # Shown literally, as text...
    assert "<img src=x onerror=\"window.__xss='img'\">" in sources
    assert "<script>window.__xss='title'</script>" in sources
    assert "![pixel](http://evil.example/pixel.png)" in sources
    assert "<iframe src=\"http://evil.example/frame\"></iframe>" in sources
    assert "[click here](javascript:window.__xss='link')" in sources
    assert "<script>window.__xss='q1'</script>" in chat
    # ...and never executed, loaded or linked.
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.querySelectorAll('iframe, object, embed').length") == 0
    origin = live_server.url
    images = page.evaluate("[...document.images].map(i => i.src)")
    assert all(src.startswith(origin) or src.startswith("data:") for src in images), images
    hrefs = page.evaluate("[...document.querySelectorAll('#chat a, #sources a')].map(a => a.getAttribute('href'))")
    assert all(h.startswith("#src-") or h.startswith("https://news.example/") for h in hrefs), hrefs
    assert page.evaluate("[...document.scripts].filter(s => s.textContent.includes('__xss')).length") == 0
    assert not page.evaluate("window.__csp")  # nothing even tried (the CSP would have blocked it)
    assert not only_own_requests(page, live_server), page.requests
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-hostile.png"), full_page=True)


class _HostPage(BaseHTTPRequestHandler):
    app = ""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = (f'<!doctype html><title>Newsroom</title><h1>Our story</h1>'
                f'<iframe id="explainer" src="{self.app}/embed/" width="900" height="760"></iframe>').encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def host_pages(live_server):
    """A newsroom page with the chat in an iframe, served from an allowed and from a not-allowed origin."""
    handler = type("Host", (_HostPage,), {"app": live_server.url})
    allowed_port = urlsplit(live_server.allowed_origin).port
    servers = [ThreadingHTTPServer(("127.0.0.1", port), handler) for port in (allowed_port, live_server.other_port)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield f"http://localhost:{allowed_port}/", f"http://localhost:{live_server.other_port}/"
    for s in servers:
        s.shutdown()
        s.server_close()


def test_embedded_on_an_allowed_origin_works(browser, live_server, host_pages):
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(host_pages[0])
    frame = page.frame_locator("#explainer")
    frame.locator("#question textarea").fill("What is Anthropic accusing Alibaba of?")
    frame.locator("#ask").click()
    frame.locator("#chat .answer").wait_for(timeout=60_000)
    assert "[1]" in frame.locator("#chat .answer").inner_text()
    assert frame.locator("#sources mark").count() == 1
    assert frame.locator(".rag-title h1").count() == 0  # embed mode: no title
    hosts = {urlsplit(u).netloc for u in requests}
    assert hosts <= {urlsplit(host_pages[0]).netloc, urlsplit(live_server.url).netloc}, hosts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embedded.png"))
    context.close()


def test_embedded_on_another_origin_is_blocked(browser, live_server, host_pages):
    context = browser.new_context()
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(host_pages[1])
    for _ in range(300):  # the browser reports the refusal once the frame's response arrives
        if any("frame-ancestors" in m for m in console):
            break
        page.wait_for_timeout(100)
    assert any("frame-ancestors" in m for m in console), console
    chat_frames = [f for f in page.frames if f != page.main_frame]
    assert chat_frames
    assert all(f.locator("#question").count() == 0 for f in chat_frames if not f.url.startswith("chrome-error"))
    context.close()


def test_embed_query_parameter_redirects_to_the_embed_page(live_server):
    r = httpx.get(live_server.url + "/?embed=1", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/embed/"


def test_gradio_client_against_the_running_app(live_server):
    from gradio_client import Client

    client = Client(live_server.url + "/", verbose=False)
    api = client.view_api(return_format="dict", print_info=False)
    named = set(api["named_endpoints"])
    assert "/ask" in named
    assert not any("rate" in n or "like" in n for n in named), named  # feedback is not an API endpoint
    chat, sources, _box = client.predict("What is Anthropic accusing Alibaba of?", api_name="/ask")
    assert chat[-1]["role"] == "assistant" and "[1]" in str(chat[-1]["content"])
    assert "illicitly accessing" in sources and "<mark>" in sources


def test_api_docs_page_renders_from_local_assets(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server.url + "/api/docs")
    page.locator(".opblock").first.wait_for(timeout=30_000)
    assert page.get_by_text("/ask").count() >= 1 and page.get_by_text("/health").count() >= 1
    assert {urlsplit(u).netloc for u in requests} == {urlsplit(live_server.url).netloc}
    context.close()
