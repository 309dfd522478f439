"""Real language models behind the checker: the bundled SmolLM2-135M, in process (llamacpp) and
behind llama.cpp's own OpenAI-compatible server (openai).

The 135M model is weak and invents freely, which is the point: whatever it writes, no
sentence reaches the answer unless the cited passage supports it, and every drop and
fallback is reported. Few questions, short drafts: these tests must stay quick.
"""
from __future__ import annotations

import logging
import sys

import pytest

from conftest import make_bot
from rag import Settings
from rag._testing import free_port, start
from rag.backends import REFUSAL
from rag.backends.llamacpp import bundled_model
from rag.citations import check_answer, split_cited
from rag.config import Secret
from rag.explainer import UNAVAILABLE
from rag.types import Turn

pytestmark = pytest.mark.slow

KEY = "sk-local-7hQv2LxR9mTz"
# Generous: a busy 2-core machine is slow, and these tests are about the checker, not speed.
TIMEOUT = 120.0
QUESTIONS = [
    "What is Anthropic accusing Alibaba of?",
    "What is the capital of France?",  # not in the coverage; the model answers anyway
]
COMMON = dict(top_k=3, llm_max_tokens=60, llm_timeout=TIMEOUT, llamacpp_threads=2)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server with the bundled model, on loopback, with an API key."""
    def ready(client, url):
        return client.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=2).status_code == 200

    port = free_port()
    server = start([sys.executable, "-m", "llama_cpp.server", "--model", bundled_model(), "--host", "127.0.0.1",
                    "--port", port, "--n_threads", "2", "--n_ctx", "4096", "--api_key", KEY, "--verbose", "False"],
                   port, ready, timeout=120, log=tmp_path_factory.mktemp("llama-server") / "server.log",
                   env={"OMP_WAIT_POLICY": "PASSIVE"})
    with server:
        yield server.url + "/v1"


def check_stream(bot, question, history=None):
    """Ask through stream(); assert the Event contract and that nothing unverified is final."""
    events = list(bot.stream(question, history))
    a = events[-1].answer
    kinds = [e.kind for e in events]
    assert kinds[-1] == "final" and kinds.count("final") == 1
    # nothing unverified is ever in an event: each partial answer passes the gate too
    for e in events[:-1]:
        assert e.kind in ("progress", "partial")
        if e.kind == "partial":
            assert check_answer(e.answer, bot._article_text) == [], e.answer.answer
    # the gate, independently of the pipeline's own: every shown sentence is supported by its quote
    assert check_answer(a, bot._article_text) == [], a.answer
    if a.refused:
        assert a.answer == REFUSAL and not a.citations
    if a.fallback:
        # reported: why (the model failed, or the checker removed too much), and what was removed
        assert a.notice == UNAVAILABLE or a.dropped or a.refused or a.trace.draft.strip() == REFUSAL
    elif not a.refused:
        # the model's own sentences: each survived the checker and was in the draft it wrote
        assert "progress" in kinds
        said = " ".join(a.trace.draft.split())
        for cs in split_cited(a.answer):
            assert cs.text.rstrip(".") in said
    assert a.drafted >= a.dropped and len(a.trace.dropped) == a.dropped
    return events, a


def run_questions(bot):
    results = [check_stream(bot, q) for q in QUESTIONS]
    answers = [a for _, a in results]
    # the France question: whatever the model claims, nothing about Paris reaches the reader
    assert "Paris" not in answers[1].answer
    # the model invents; the checker must have caught and reported some of it
    assert sum(a.dropped for a in answers) >= 1, [a.to_dict(trace=True) for a in answers]
    assert all(a.backend == bot.backend.name for a in answers)
    return results


def test_llamacpp_in_process_drafts_are_streamed_and_checked(strict_store, embedder):
    bot = make_bot(strict_store, embedder, Settings(backend="llamacpp", **COMMON))
    results = run_questions(bot)
    drafted = [a for _, a in results if a.drafted]
    assert drafted, "the model wrote drafts (the grammar keeps them in 'sentence [n]' form)"
    for events, a in results:
        if a.drafted:  # tokens are streamed: the first piece came well before the draft was done
            assert a.trace.timings["first_draft"] < a.trace.timings["draft"], a.trace.timings
    # a follow-up: condensed by the model (or the heuristic when its rewrite invents), then answered
    check_stream(bot, "What did it deny?", [Turn(QUESTIONS[0], results[0][1].answer)])


def test_openai_backend_streams_from_a_real_llama_cpp_server(llama_server, strict_store, embedder, caplog):
    caplog.set_level(logging.DEBUG)
    bot = make_bot(strict_store, embedder, Settings(backend="openai", llm_base_url=llama_server,
                                                    llm_api_key=Secret(KEY), **COMMON))
    results = run_questions(bot)
    for events, a in results:
        assert a.notice != UNAVAILABLE, caplog.text[-2000:]  # the server answered
        if a.drafted:  # the reply is streamed (SSE): its first piece came before the end
            assert a.trace.timings["first_draft"] < a.trace.timings["draft"], a.trace.timings
    assert KEY not in caplog.text


def test_a_wrong_key_is_a_fallback_and_is_never_logged(llama_server, strict_store, embedder, caplog):
    wrong = "sk-wrong-Jd93kLqP0vZx"
    caplog.set_level(logging.DEBUG)
    bot = make_bot(strict_store, embedder, Settings(backend="openai", llm_base_url=llama_server,
                                                    llm_api_key=Secret(wrong), **COMMON))
    _, a = check_stream(bot, QUESTIONS[0])
    assert a.fallback and a.notice == UNAVAILABLE and not a.refused
    assert "HTTP 401: the API key was refused" in caplog.text
    assert wrong not in caplog.text and wrong not in str(a.to_dict()) and KEY not in caplog.text


@pytest.mark.parametrize("content", [None, b"GGUF" + bytes(range(256)) * 20, "truncated"], ids=["missing", "garbage", "truncated"])
def test_a_missing_or_corrupt_gguf_falls_back_with_a_notice(strict_store, embedder, tmp_path, caplog, content):
    path = tmp_path / "model.gguf"
    if content == "truncated":
        path.write_bytes(open(bundled_model(), "rb").read(300_000))
    elif content is not None:
        path.write_bytes(content)
    caplog.set_level(logging.WARNING, logger="rag")
    bot = make_bot(strict_store, embedder, Settings(backend="llamacpp", llamacpp_model=str(path), **COMMON))
    _, a = check_stream(bot, QUESTIONS[0])
    assert a.fallback and a.notice == UNAVAILABLE and not a.refused
    lines = [r for r in caplog.records if r.name == "rag" and r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "model.gguf" in lines[0].getMessage()
