"""What the citation gate removes never reaches a client: not in the answer, not in a debugging
field, not in a streamed draft.

Driven by `tests/planted_backend.py`, a backend that always drafts a forbidden sentence (an
invented phone number and code word) next to a supported one, so these tests do not depend on
what a real model happens to write: through `Explainer.stream`, the JSON API, `rag ask --json`
and the chat page in a real browser, watching every intermediate render.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from conftest import ROOT, make_bot
from live_server import start_servers
from planted_backend import FORBIDDEN
from rag import Settings
from rag.citations import check_answer

PLANTED = "tests.planted_backend:Planted"  # for processes started from the repository root
TOKEN = "editors-token-4d1f9a"
Q = "What is Anthropic accusing Alibaba of?"


def assert_clean(payload) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    assert FORBIDDEN not in text and "555-0100" not in text, text[:500]


# ------------------------------------------------------------------------------ the pipeline


@pytest.fixture(scope="module")
def planted_bot(strict_store, embedder, monkeypatch_module):
    monkeypatch_module.setenv("PLANTED_DELAY", "0")
    return make_bot(strict_store, embedder, Settings(backend="planted_backend:Planted"))


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_the_stream_shows_verified_sentences_only(planted_bot):
    events = list(planted_bot.stream(Q))
    kinds = [e.kind for e in events]
    assert kinds[0] == "progress" and kinds[-1] == "final" and "partial" in kinds, kinds
    for e in events:
        assert not e.answer or FORBIDDEN not in json.dumps(e.answer.to_dict())
        if e.kind == "partial":  # a partial answer passed the same gate as a final one
            assert check_answer(e.answer, planted_bot._article_text) == []
    a = events[-1].answer
    assert not a.refused and not a.fallback and a.backend == "planted"
    assert a.drafted == 3 and a.dropped == 2 and len(a.citations) == 1
    assert_clean(a.to_dict())
    # the editors' trace keeps what was removed and why; counts agree with the public fields
    withheld = [s for s, _ in a.trace.dropped]
    assert len(withheld) == a.dropped and all(FORBIDDEN in s for s in withheld)
    assert all(why for _, why in a.trace.dropped)
    assert FORBIDDEN in json.dumps(a.to_dict(trace=True))
    # the first verified sentence was shown before the draft was finished
    t = a.trace.timings
    assert t["first_draft"] <= t["first_shown"] <= t["total"] and a.trace.retracted == 0


# ------------------------------------------------------------------------------ HTTP API and chat page


@pytest.fixture(scope="module")
def planted_server(served_store, tmp_path_factory):
    server, = start_servers((served_store, tmp_path_factory.mktemp("planted")), RAG_BACKEND=PLANTED,
                            RAG_RATE_LIMIT="0", RAG_ADMIN_TOKEN=TOKEN, PLANTED_DELAY="0.12", RAG_LOG_LEVEL="INFO")
    try:
        yield server
    finally:
        server.stop()


def test_the_api_sends_a_count_never_the_text(planted_server):
    with httpx.Client(base_url=planted_server.url, timeout=60) as c:
        r = c.post("/api/ask", json={"question": Q})
        assert r.status_code == 200
        body = r.json()
        assert_clean(r.text)
        assert body["dropped"] == 2 and body["drafted"] == 3 and "trace" not in body
        assert not body["refused"] and len(body["citations"]) == 1
        # the trace is for editors: refused without the token, or with a wrong one
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            denied = c.post("/api/ask?trace=1", json={"question": Q}, headers=headers)
            assert denied.status_code == 401 and "RAG_ADMIN_TOKEN" in denied.json()["error"]
            assert_clean(denied.text)
        ok = c.post("/api/ask?trace=1", json={"question": Q}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        removed = [d["sentence"] for d in ok.json()["trace"]["dropped"]]
        assert len(removed) == 2 and all(FORBIDDEN in s for s in removed)
        # the schema API users read says what `dropped` is now
        schema = c.get("/api/openapi.json").json()["components"]["schemas"]["AnswerOut"]["properties"]
        assert schema["dropped"]["type"] == "integer" and "never sent" in schema["dropped"]["description"]
    # operators still see what was removed (escaped) in the server log
    assert FORBIDDEN in planted_server.log.read_text()


def test_a_server_without_a_token_serves_no_traces(planted_bot):
    from fastapi.testclient import TestClient

    from rag.server import api_app

    with TestClient(api_app(planted_bot, Settings(backend="planted_backend:Planted"))) as c:
        for headers in ({}, {"Authorization": "Bearer x"}, {"Authorization": "Bearer"}):
            r = c.post("/ask?trace=1", json={"question": Q}, headers=headers)
            assert r.status_code == 401
            assert_clean(r.text)
        assert c.post("/ask", json={"question": Q}).json()["dropped"] == 2


def test_rag_ask_json_prints_no_withheld_text(served_store):
    env = {**os.environ, "RAG_STORE": str(served_store), "RAG_BACKEND": PLANTED, "PLANTED_DELAY": "0",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-m", "rag", "ask", Q, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert_clean(out.stdout)
    assert_clean(out.stderr)
    body = json.loads(out.stdout)
    assert body["dropped"] == 2 and body["drafted"] == 3 and "trace" not in body


# Every text the chat and the Sources panel ever showed, in order (each mutation is a snapshot).
RECORD = """
window.__texts = [];
new MutationObserver(() => {
  const parts = ['#chat', '#sources'].map(s => document.querySelector(s)).filter(Boolean);
  const text = parts.map(p => p.innerText + ' ' + p.innerHTML).join('\\n');
  if (window.__texts[window.__texts.length - 1] !== text) window.__texts.push(text);
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""


@pytest.mark.slow
def test_the_chat_page_never_renders_withheld_text(planted_server):
    from playwright.sync_api import sync_playwright

    from live_server import ARGS, CHROMIUM

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            context.add_init_script(RECORD)
            page = context.new_page()
            page.goto(planted_server.url + "/")
            page.wait_for_selector("#question textarea", timeout=60_000)
            page.fill("#question textarea", Q)
            page.click("#ask")
            page.locator("#chat .answer, #chat .refusal").first.wait_for(timeout=60_000)
            final = page.locator("#chat .answer").first.inner_text()
            texts = page.evaluate("window.__texts")
        finally:
            browser.close()
    assert len(texts) > 3, texts
    for t in texts:
        assert_clean(t)
    supported = final.split(" [1]")[0].strip()
    assert len(supported) > 40 and "Anthropic" in supported
    # while the model was still writing, the reader saw the verified sentence under "Checking sources…"
    assert any("Checking sources" in t and supported[:60] in t for t in texts), texts[-3:]
