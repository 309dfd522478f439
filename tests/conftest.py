"""Shared fixtures: the real bundled model and real Chroma stores in temp folders."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# OpenMP threads (torch's, llama.cpp's) spin while they wait for work. The tests run the model in pytest, in
# servers and in CLI children at once on 2 cores, where that spinning starves the others: the bundled corpus
# embedded in 4.5 s instead of 12 s with passive waiting on a loaded machine. Results are the same; set before
# anything loads libgomp, and inherited by every process the tests start (rag/backends/llamacpp.py does the
# same for llama.cpp).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from rag import Settings  # noqa: E402
from rag.backends import load_backend  # noqa: E402
from rag.embedding import Embedder  # noqa: E402
from rag.explainer import Explainer  # noqa: E402
from rag.ingest import ingest  # noqa: E402
from rag.store import Store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The seed article as received sits in shared/ beside the checkout (CI lays it there too);
# RAG_SEED points elsewhere when the checkout lives somewhere else.
SEED = next((p for p in (Path(os.environ.get("RAG_SEED", "/nonexistent")),
                         ROOT.parent / "shared" / "seeds" / "000_5d4de4da023aea20.txt",
                         Path("/work/shared/seeds/000_5d4de4da023aea20.txt")) if p.is_file()),
            ROOT.parent / "shared" / "seeds" / "000_5d4de4da023aea20.txt")


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def embedder(settings) -> Embedder:
    return Embedder.from_settings(settings)


def build_store(path: Path, embedder: Embedder, corpus: Path = CORPUS, exclude_faq: bool = True, **kw):
    store = Store.open(path, create=True)
    report = ingest([corpus], store, embedder, exclude_faq=exclude_faq, **kw)
    return store, report


def make_bot(store: Store, embedder: Embedder, settings: Settings | None = None) -> Explainer:
    settings = settings or Settings()
    return Explainer(store, embedder, load_backend(settings.backend, settings, embedder), settings)


def corpus_bot(folder: Path, embedder: Embedder, articles: dict) -> Explainer:
    """A bot over a small corpus written for one test module: {file name: (title, url, published, body)}
    as Markdown with front matter, ingested into a real store under `folder`."""
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, (title, url, published, body) in articles.items():
        (corpus / name).write_text(f"---\ntitle: \"{title}\"\nurl: {url}\npublished: {published}\n---\n{body}\n")
    store, report = build_store(folder / "store", embedder, corpus)
    assert len(report.added) == len(articles) and not report.skipped, report
    return make_bot(store, embedder)


@pytest.fixture(scope="session")
def strict_store(tmp_path_factory, embedder):
    """The bundled corpus with its FAQ block left out of the index (the strict eval mode)."""
    store, _ = build_store(tmp_path_factory.mktemp("strict") / "store", embedder)
    return store


@pytest.fixture(scope="session")
def bot(strict_store, embedder) -> Explainer:
    return make_bot(strict_store, embedder)


def wanted(request, fixture: str) -> bool:
    """Whether a test collected in this session uses `fixture` (then starting its server early pays off)."""
    return any(fixture in item.fixturenames for item in request.session.items)


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session", autouse=True)
def _early_servers(request):
    """When any collected test uses the shared chat server, it is spawned as the session starts: its cold
    start then overlaps the first tests instead of holding up the first test that needs it."""
    if wanted(request, "live_server"):
        request.getfixturevalue("live_spawned")


# The chat server in a real process (tests/live_server.py), for the browser and API tests.
from live_server import browser, live_server, live_spawned, served_store  # noqa: E402,F401
