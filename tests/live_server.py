"""The chat server as readers meet it: a real `python ui.py` process on a free 127.0.0.1 port.

Its store is corpus/ plus a few hostile articles (script tags, event handlers, a
javascript: URL, a remote markdown image, an iframe) and one with a real URL, so
the browser tests can check that corpus text reaches the page as text.
Fixtures are re-exported by conftest.py; other test files (hardening) can use
`live_server` or `start_server(...)` with their own settings.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = {
    "zorblax-festival.json": json.dumps({
        "title": "Harbour festival <script>window.__xss='title'</script> guide",
        "url": "javascript:window.__xss='url'",
        "published": "2026-11-21",
        "body": ("The Zorblax harbour festival opens on Friday with a lantern parade along the quay.\n\n"
                 "Organisers said the lantern parade starts at the old mill "
                 "<img src=x onerror=\"window.__xss='img'\"> and ends at the lighthouse.\n\n"
                 "Tickets for the Zorblax concerts cost 12 euros "
                 "<iframe src=\"http://evil.example/frame\"></iframe> at the harbour office."),
    }),
    "zorblax-boats.txt": (
        "Zorblax boat race draws record crowd\n\n"
        "The Zorblax boat race was won by the rowing club from Kettle Bay "
        "![pixel](http://evil.example/pixel.png) after a close finish.\n\n"
        "Race officials said the course was moved [click here](javascript:window.__xss='link') "
        "because of strong winds.\n"),
    "zorblax-ferry.json": json.dumps({
        "title": "Zorblax ferry timetable changes",
        "url": "https://news.example/zorblax-ferry",
        "published": "2026-11-20",
        "body": ("The harbour authority said the Zorblax ferry will run every twenty minutes during the "
                 "festival weekend. Extra night crossings will be added on Saturday."),
    }),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_hostile(corpus: Path) -> None:
    for name, text in HOSTILE.items():
        (corpus / name).write_text(text, encoding="utf-8")


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    port: int
    proc: subprocess.Popen
    log: Path
    feedback: Path
    env: dict

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_server(store: Path, workdir: Path, timeout: float = 180, **env_extra: str) -> Server:
    """Start `python ui.py` against `store`; returns once /api/health answers 200 (or fails with the log)."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"server-{port}.log"
    feedback = workdir / f"feedback-{port}.sqlite3"
    env = {**os.environ, "RAG_STORE": str(store), "RAG_PORT": str(port), "RAG_HOST": "127.0.0.1",
           "RAG_FEEDBACK": str(feedback), **env_extra}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py")], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, proc, log, feedback, env)
    return wait_ready(server, timeout)


def wait_ready(server: "Server", timeout: float) -> "Server":
    """Wait for /api/health; a server that dies or never answers fails with its log."""
    proc, log = server.proc, server.log
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(server.url + "/api/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"server did not answer within {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def served_store(tmp_path_factory, embedder) -> Path:
    """corpus/ (FAQ included, so the chat has example questions) plus the hostile articles."""
    from rag.ingest import ingest
    from rag.store import Store

    root = tmp_path_factory.mktemp("served")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    write_hostile(corpus)
    report = ingest([corpus], Store.open(root / "store", create=True), embedder, exclude_faq=False)
    assert not report.skipped, report.skipped
    return root / "store"


@dataclass
class Live:
    server: Server
    allowed_origin: str  # a localhost origin in RAG_ALLOWED_ORIGINS
    other_port: int  # a localhost port whose origin is not allowed

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def live_server(served_store, tmp_path_factory):
    """One real server for the browser, gradio_client and API tests; no rate limit (tests ask a lot)."""
    allowed_port, other_port = free_port(), free_port()
    allowed = f"http://localhost:{allowed_port}"
    server = start_server(served_store, tmp_path_factory.mktemp("live"), RAG_ALLOWED_ORIGINS=allowed,
                          RAG_RATE_LIMIT="0", RAG_TITLE="Zorblax explainer")
    try:
        yield Live(server, allowed, other_port)
    finally:
        server.stop()
