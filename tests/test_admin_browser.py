"""The editors' page in a real browser (Debian chromium via Playwright) against a real server process.

Readers ask in the chat (some questions refused, one answer disliked with a reason); an editor
opens /admin, enters the token once and sees the questions grouped by meaning, the gap with its
FAQ draft, the dislike with its reason and cited passage, the usage chart; a CSV is downloaded
and parsed. Without the token, /admin and its API answer 401 and show nothing.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import httpx
import pytest

from live_server import spawn_server, wait_all

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TOKEN = "editors-test-token-7c1f0a"
ALLOWED = "http://localhost:8123"

ANSWERED = ["What is Anthropic accusing Alibaba of?", "What does Anthropic accuse Alibaba of doing?"]
REFUSED = ["Who won the football world cup in 1998?", "Which team won the 1998 World Cup?"]
DISLIKED = "How often will the Zorblax ferry run?"
HOSTILE = "<img src=x onerror=\"window.__xss='admin'\"> When does the harbour festival open?"


@pytest.fixture(scope="module")
def server(served_store, tmp_path_factory):
    s = spawn_server(served_store, tmp_path_factory.mktemp("admin"), RAG_ADMIN_TOKEN=TOKEN, RAG_RATE_LIMIT="0",
                     RAG_ALLOWED_ORIGINS=ALLOWED)
    try:
        yield wait_all([s])[0]
    finally:
        s.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .answer, #chat .refusal").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.locator("#chat .answer, #chat .refusal").nth(before).wait_for(timeout=60_000)


@pytest.fixture(scope="module")
def asked(browser, server):
    """What readers did in the chat, once for the module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("#question textarea", timeout=60_000)
    for q in ANSWERED + REFUSED + [HOSTILE, DISLIKED]:
        ask(page, q)
    assert page.locator("#chat .refusal").count() >= len(REFUSED)
    page.locator("#chat button[aria-label='Dislike']").last.click()
    page.locator("#chat button[aria-label='Feedback']").last.click()
    page.locator("#chat .extra-feedback-option", has_text="Out of date").last.click()
    page.wait_for_timeout(500)
    context.close()
    return server


def signed_in(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.sent = []
    page.on("request", lambda r: page.sent.append((r.url, r.headers.get("authorization", ""))))
    first = page.goto(server.url + "/admin")
    assert first.status == 401  # the shell, without data, until the token comes with the requests
    page.get_by_label("Editors' token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    return context, page


def report_shows(page, what: str, timeout: float = 30) -> None:
    """Reload the report until `what` is in it (the log is written off the request path)."""
    for _ in range(int(timeout * 2)):
        page.locator("#asked table, #asked .empty").first.wait_for(timeout=30_000)
        if what in page.locator("#view").inner_text():
            return
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Show").click()
    raise AssertionError(f"{what!r} never appeared: {page.locator('#view').inner_text()[:2000]}")


def test_editors_see_grouped_questions_the_gap_and_the_dislike(browser, asked):
    context, page = signed_in(browser, asked)
    try:
        report_shows(page, "Out of date")
        rows = page.locator("#asked tbody tr")
        top = {rows.nth(i).locator("td.q").inner_text(): rows.nth(i) for i in range(rows.count())}
        anthropic = top[ANSWERED[0]]
        assert anthropic.locator("td.num").first.inner_text() == "2"
        assert ANSWERED[1] in anthropic.inner_text()  # the other wording, grouped with it
        assert "Anthropic's Alibaba Accusation" in anthropic.inner_text()  # the cited article
        gap = page.locator("#gaps tbody tr").first
        assert gap.locator("td.q").inner_text() == REFUSED[0] and gap.locator("td.num").inner_text() == "2"
        assert REFUSED[1] in gap.inner_text()
        gap.get_by_text("Draft a FAQ entry").click()
        draft = gap.get_by_label("FAQ entry", exact=False)
        assert draft.input_value().startswith(f"### {REFUSED[0]}\n\n<!--")
        dislike = page.locator("#dislikes tbody tr").first
        assert DISLIKED in dislike.inner_text() and "Out of date" in dislike.inner_text()
        assert "The harbour authority said the Zorblax ferry will run" in dislike.locator("blockquote").first.inner_text()
        assert page.locator("#usage svg.chart title").first.text_content().startswith("Questions per day: 6 in all")
        # the reader's markup is text here too
        assert "<img src=x" in page.locator("#asked").inner_text()
        assert page.locator("#asked img, #view img").count() == 0 and page.evaluate("window.__xss") is None

        with page.expect_download() as download:
            page.locator("button.csv[data-table=gaps]").click()
        assert download.value.suggested_filename.startswith("gaps-")
        parsed = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        assert (parsed[0]["question"], parsed[0]["count"], parsed[0]["refused"]) == (REFUSED[0], "2", "2")
        assert REFUSED[1] in parsed[0]["other wordings"]
        with page.expect_download() as download:
            page.locator("button.csv[data-table=questions]").click()
        every = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
        assert sorted(r["question"] for r in every) == sorted(ANSWERED + REFUSED + [HOSTILE, DISLIKED])
        assert {r["rating"] for r in every if r["question"] == DISLIKED} == {"dislike"}

        # the token went as a header and nowhere else
        api = [(u, h) for u, h in page.sent if "/admin/api/" in u]
        assert api and all(h == f"Bearer {TOKEN}" for _, h in api)
        assert not any(TOKEN in u for u, _ in page.sent) and context.cookies() == []
        page.reload()  # kept for the tab: no second sign-in
        page.locator("#asked table").wait_for(timeout=30_000)
        assert page.locator("#login").is_hidden()
    finally:
        context.close()


def test_a_wrong_token_is_refused_on_the_page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(server.url + "/admin")
        page.get_by_label("Editors' token").fill("not-the-token")
        page.get_by_role("button", name="Open").click()
        page.get_by_text("That token was not accepted").wait_for(timeout=30_000)
        assert page.locator("#view").is_hidden()
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        context.close()


def test_without_the_token_admin_and_its_api_answer_401_and_leak_nothing(asked):
    with httpx.Client(base_url=asked.url, timeout=60) as c:
        good = c.get("/admin/api/report", headers={"authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200 and REFUSED[0] in good.text
        tries = [c.get("/admin"), c.get("/admin/api/report"), c.get("/admin/api/gaps.csv"),
                 c.get("/admin/api/questions.csv"),
                 c.get("/admin/api/report", headers={"authorization": "Bearer wrong"}),
                 c.get("/admin/api/report", headers={"authorization": f"Basic {TOKEN}"}),
                 c.get(f"/admin/api/report?token={TOKEN}"),
                 c.get("/admin/api/report", cookies={"token": TOKEN, "authorization": f"Bearer {TOKEN}"})]
        for r in tries:
            assert r.status_code == 401, (r.request.url, r.status_code)
            assert r.headers["cache-control"] == "no-store"
            for secret in ANSWERED + REFUSED + [DISLIKED, "Out of date", "Anthropic"]:
                assert secret not in r.text, (r.request.url, secret)
        assert tries[1].json() == {"error": "Send the editors' token as Authorization: Bearer $RAG_ADMIN_TOKEN "
                                            "(on the page: enter it once)."}
        # the embed origins' CORS never reaches /admin
        for r in (c.get("/admin/api/report", headers={"origin": ALLOWED, "authorization": f"Bearer {TOKEN}"}),
                  c.options("/admin/api/report", headers={"origin": ALLOWED, "access-control-request-method": "GET",
                                                          "access-control-request-headers": "authorization"})):
            assert not any(k.lower().startswith("access-control-") for k in r.headers), dict(r.headers)
        assert c.post("/api/ask", json={"question": "x"}, headers={"origin": ALLOWED}).headers[
            "access-control-allow-origin"] == ALLOWED  # while /api keeps its allow-list
        # ...and the embedding sites may frame the chat, never the editors' page
        for r in (tries[0], good):
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], r.headers
            assert r.headers["x-frame-options"] == "DENY"
        assert f"frame-ancestors 'self' {ALLOWED}" in c.get("/embed/").headers["content-security-policy"]


def test_admin_is_off_with_a_clear_message_when_no_token_is_set(bot, tmp_path):
    from starlette.testclient import TestClient

    from rag.server import create_app

    app = create_app(replace(bot.settings, feedback_path=tmp_path / "fb.sqlite3"), explainer=bot)
    with TestClient(app) as c:
        page = c.get("/admin")
        assert page.status_code == 403 and "Set RAG_ADMIN_TOKEN" in page.text
        api = c.get("/admin/api/report", headers={"authorization": "Bearer "})
        assert api.status_code == 403 and api.json()["error"].startswith("The editors' page is off: set RAG_ADMIN_TOKEN")


def test_the_page_passes_axe_core_signed_in(browser, asked):
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright",
                                   reason="axe-playwright-python (the test extra, with the a11y work) is not installed")
    context, page = signed_in(browser, asked)
    try:
        report_shows(page, "Out of date")
        page.locator("#gaps summary").first.click()
        page.evaluate(axe_sync.Axe().axe_script)
        result = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                               "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
        failures = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x)" for v in result["violations"]]
        assert failures == [], json.dumps(result["violations"], indent=1)[:3000]
    finally:
        context.close()
