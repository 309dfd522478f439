"""The JSON API and the server's guard rails, over real HTTP.

Most tests talk to the real server process (`live_server`); the rate-limit tests
run `create_app(settings, explainer)` under uvicorn in this process with tight
limits, sharing the already loaded models.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from rag._testing import free_port

ROOT = Path(__file__).resolve().parent.parent
CORPUS_TEXT = (ROOT / "corpus" / "anthropic-alibaba-accusation.md").read_text(encoding="utf-8")
Q = "What is Anthropic accusing Alibaba of?"


@pytest.fixture(scope="module")
def api(live_server):
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        yield client


# --------------------------------------------------------------------------- answers


def test_ask_returns_the_answer_object_with_verbatim_citations(api):
    r = api.post("/api/ask", json={"question": Q})
    assert r.status_code == 200
    body = r.json()
    assert body["refused"] is False and "[1]" in body["answer"]
    c = body["citations"][0]
    assert set(c) >= {"n", "quote", "title", "url", "start", "end", "doc_id", "published"}
    assert c["quote"] in CORPUS_TEXT and c["end"] - c["start"] == len(c["quote"])
    assert c["title"].startswith("Anthropic's Alibaba Accusation")


def test_ask_uses_history_and_refuses_off_topic(api):
    first = "How often will the Zorblax ferry run?"
    follow = "What about the night crossings?"
    prev = api.post("/api/ask", json={"question": first}).json()["answer"]
    alone = api.post("/api/ask", json={"question": follow}).json()
    chat_style = api.post("/api/ask", json={"question": follow, "history": [
        {"role": "user", "content": first}, {"role": "assistant", "content": prev}]}).json()
    pairs = api.post("/api/ask", json={"question": follow, "history": [[first, prev]]}).json()
    assert chat_style["answer"] == pairs["answer"] != alone["answer"]
    off = api.post("/api/ask", json={"question": "Who won the football world cup in 1998?"}).json()
    assert off["refused"] is True and off["citations"] == []


def test_health_reports_store_and_models(api):
    r = api.get("/api/health")
    assert r.status_code == 200
    h = r.json()
    assert h["ok"] is True and h["store"]["articles"] == 4 and h["store"]["chunks"] > 0
    assert h["models"]["backend"] == "extractive" and h["models"]["loaded"] is True


def test_openapi_and_docs_are_served_without_a_cdn(api):
    spec = api.get("/api/openapi.json").json()
    assert spec["servers"] == [{"url": "/api"}] and {"/ask", "/health"} <= set(spec["paths"])
    assert spec["paths"]["/ask"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    responses = spec["paths"]["/ask"]["post"]["responses"]
    assert {"200", "400", "413", "422", "429"} <= set(responses)
    docs = api.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text
    for url in ("/api/docs/assets/swagger-ui-bundle.js", "/api/docs/assets/swagger-ui.css"):
        assert url in docs.text and api.get(url).status_code == 200
    assert "cdn." not in docs.text and "https://" not in docs.text.replace("https://fastapi", "")


# --------------------------------------------------------------------------- limits and bad input


def test_question_over_the_cap_is_413_with_a_clear_message(api):
    r = api.post("/api/ask", json={"question": "why " * 251})  # 1004 characters
    assert r.status_code == 413
    assert r.json()["error"] == ("Questions are limited to 1000 characters; this one has 1004. "
                                 "Shorten it and ask again.")


def test_body_over_the_cap_is_413_even_without_content_length(api):
    big = b'{"question": "' + b"a" * (70 * 1024) + b'"}'
    r = api.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than 64 KB" in r.json()["error"]

    def chunks():
        for _ in range(70):
            yield b"a" * 1024
    r = api.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("body,status", [
    ({}, 422),
    ({"question": 42}, 422),
    ({"question": None}, 422),
    ({"question": "   "}, 422),
    ({"question": "?!"}, 422),
    ({"question": Q, "history": "not a list"}, 422),
    ({"question": Q, "history": [42]}, 422),
    ({"question": Q, "history": [{"question": 5}]}, 422),
    (["a", "list"], 422),
])
def test_invalid_requests_are_422_with_a_message(api, body, status):
    r = api.post("/api/ask", json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]


@pytest.mark.parametrize("raw", [
    b'{"question": ', b"not json", b"\xff\xfe\x00", b"", b'{"question": "a"} trailing',
    b"[" * 5000 + b"]" * 5000, b'{"question": "\\ud800"}', b"NaN",
])
def test_malformed_json_is_a_4xx_never_a_500(api, raw):
    r = api.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, (raw[:40], r.status_code, r.text[:200])
    assert r.json()["error"]


def test_wrong_methods_and_paths_are_4xx(api):
    assert api.get("/api/ask").status_code == 405
    assert api.post("/api/health").status_code == 405
    r = api.post("/api/nothing", json={})
    assert r.status_code == 404 and r.json()["error"] == "No such API endpoint; see /api/docs."


# --------------------------------------------------------------------------- headers, framing, CORS


@pytest.mark.parametrize("path", ["/", "/embed/", "/api/health", "/api/docs", "/config"])
def test_security_headers_on_every_page(api, live_server, path):
    r = api.get(path)
    assert r.status_code == 200, path
    csp = r.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {live_server.allowed_origin}" in csp
    assert "connect-src 'self'" in csp and "img-src 'self' data: blob:" in csp and "'unsafe-eval'" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_cors_allows_only_the_allow_list(api, live_server):
    good, bad = live_server.allowed_origin, "http://evil.example"
    r = api.post("/api/ask", json={"question": Q}, headers={"origin": good})
    assert r.headers["access-control-allow-origin"] == good and "Origin" in r.headers["vary"]
    pre = api.options("/api/ask", headers={"origin": good, "access-control-request-method": "POST",
                                           "access-control-request-headers": "content-type"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == good
    assert "POST" in pre.headers["access-control-allow-methods"]

    r = api.post("/api/ask", json={"question": Q}, headers={"origin": bad})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = api.options("/api/ask", headers={"origin": bad, "access-control-request-method": "POST"})
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    # close look-alikes of the allowed origin are other origins
    for fake in (good + ".evil.example", good.replace("http:", "https:"), good + "/", "null", good.upper()):
        r = api.get("/api/health", headers={"origin": fake})
        assert "access-control-allow-origin" not in r.headers, fake


@pytest.mark.parametrize("path", ["/api/health", "/config", "/gradio_api/info", "/"])
def test_a_spoofed_host_header_does_not_open_cors(api, path):
    # Gradio alone would echo any Origin when the Host header is not localhost.
    r = api.get(path, headers={"host": "evil.example", "origin": "http://evil.example"})
    assert not any(k.lower().startswith("access-control-") for k in r.headers), dict(r.headers)
    r = api.options(path, headers={"host": "evil.example", "origin": "http://evil.example",
                                   "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_feedback_is_not_reachable_over_http(api):
    spec = api.get("/api/openapi.json").json()
    assert not any("feedback" in p or "like" in p for p in spec["paths"])
    info = api.get("/gradio_api/info").json()
    assert set(info["named_endpoints"]) == {"/ask"}


# --------------------------------------------------------------------------- rate limit (in-process server)


@pytest.fixture()
def tight_server(bot, tmp_path):
    """create_app with a tight rate limit, served by uvicorn on a free port in this process."""
    import uvicorn

    from rag.server import create_app

    # one a minute: no token comes back while a loaded machine is still connecting the chat client
    settings = replace(bot.settings, rate_per_min=1.0, rate_burst=2, feedback_path=tmp_path / "fb.sqlite3")
    app = create_app(settings, explainer=bot)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def test_rate_limit_answers_429_with_retry_after(tight_server):
    with httpx.Client(base_url=tight_server, timeout=60) as c:
        assert c.post("/api/ask", json={"question": Q}).status_code == 200
        assert c.post("/api/ask", json={"question": Q}).status_code == 200
        r = c.post("/api/ask", json={"question": Q})
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60  # 1 a minute
        assert r.json()["error"].startswith("Too many questions from this address. Try again in")
        # cheap endpoints are not limited
        assert c.get("/api/health").status_code == 200


def test_refused_requests_do_no_model_work(tight_server, bot):
    """Over-long and rate-limited questions are answered before the pipeline runs."""
    calls = []
    original = bot.stream

    def counting(*a, **kw):  # a spy: the real pipeline still answers
        calls.append(1)
        return original(*a, **kw)
    bot.stream = counting
    try:
        with httpx.Client(base_url=tight_server, timeout=60) as c:
            codes = [c.post("/api/ask", json={"question": q}).status_code for q in ["x" * 1001, Q, Q, Q, Q]]
    finally:
        del bot.stream
    assert codes == [413, 200, 429, 429, 429]
    assert len(calls) == 1


def test_chat_and_api_share_the_rate_limit(tight_server):
    from gradio_client import Client

    with httpx.Client(base_url=tight_server, timeout=60) as c:
        assert [c.post("/api/ask", json={"question": Q}).status_code for _ in range(2)] == [200, 200]
    chat, _sources, _box = Client(tight_server + "/", verbose=False).predict(Q, api_name="/ask")
    last = str(chat[-1]["content"])
    assert "You are asking questions too quickly. Please wait" in last and "[1]" not in last
