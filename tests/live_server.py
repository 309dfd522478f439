"""The chat server as readers meet it: a real `python ui.py` process on a free 127.0.0.1 port
(and a real `chroma run` for the tests that share one Chroma server).

Its store is corpus/ plus a few hostile articles (script tags, event handlers, a
javascript: URL, a remote markdown image, an iframe) and one with a real URL, so
the browser tests can check that corpus text reaches the page as text.
Fixtures are re-exported by conftest.py; other test files (hardening) can use
`live_server`, or `spawn_server(...)` with their own settings and then `wait_all`.
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag._testing import Proc, free_port, spawn, start, wait_ready

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


def write_hostile(corpus: Path) -> None:
    for name, text in HOSTILE.items():
        (corpus / name).write_text(text, encoding="utf-8")


@dataclass
class Server(Proc):
    """A `python ui.py` process (url, port, proc, log, env, stop() from rag._testing.Proc)."""
    feedback: Path | None = None


def spawn_server(store: Path, workdir: Path, cwd: Path = ROOT, feedback: Path | None = None,
                 **env_extra: str) -> Server:
    """Start `python ui.py` against `store` without waiting for it (see wait_all). `cwd` is its working
    folder (relative paths such as `.env` resolve there); its log and feedback file go to `workdir`."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    feedback = feedback or workdir / f"feedback-{port}.sqlite3"
    env = {"RAG_STORE": str(store), "RAG_PORT": str(port), "RAG_HOST": "127.0.0.1", "RAG_FEEDBACK": str(feedback),
           **{k: str(v) for k, v in env_extra.items()}}
    return spawn([sys.executable, ROOT / "ui.py"], port, log=workdir / f"server-{port}.log", cwd=cwd, env=env,
                 cls=Server, feedback=feedback)


def start_servers(*stores_and_workdirs: tuple[Path, Path], timeout: float = 180, **env_extra: str) -> list[Server]:
    """Several servers started side by side, so their cold starts overlap: all ready, or all stopped."""
    return wait_all([spawn_server(store, workdir, **env_extra) for store, workdir in stores_and_workdirs], timeout)


def wait_all(servers: list[Server], timeout: float = 180) -> list[Server]:
    """Wait until every spawned server answers /api/health; if one fails, all are stopped."""
    try:
        for server in servers:
            wait_ready(server, "/api/health", timeout)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def start_chroma(data: Path, port: int | None = None, log: Path | None = None, timeout: float = 60) -> Proc:
    """A real Chroma server (`chroma run` from the installed chromadb package) on loopback."""
    chroma = Path(sys.executable).parent / "chroma"
    assert chroma.exists(), "the chroma CLI comes with the chromadb package"
    port = port or free_port()
    return start([chroma, "run", "--path", data, "--host", "127.0.0.1", "--port", port], port, "/api/v2/heartbeat",
                 timeout, log=log, env={"ANONYMIZED_TELEMETRY": "False"})


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
def live_spawned(served_store, tmp_path_factory):
    """The shared server's process, spawned but not waited for (conftest starts it early)."""
    allowed_port, other_port = free_port(), free_port()
    allowed = f"http://localhost:{allowed_port}"
    server = spawn_server(served_store, tmp_path_factory.mktemp("live"), RAG_ALLOWED_ORIGINS=allowed,
                          RAG_RATE_LIMIT="0", RAG_TITLE="Zorblax explainer")
    try:
        yield Live(server, allowed, other_port)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(live_spawned):
    """One real server for the browser, gradio_client and API tests; no rate limit (tests ask a lot)."""
    wait_all([live_spawned.server])
    return live_spawned


# Debian's chromium, never `playwright install` (no downloads at test time); one launch per module.
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()

