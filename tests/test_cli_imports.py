"""The web stack is for `rag serve` only, and torch for the torch runtime only: the other commands never load them; serve without the web stack says what to install."""
import os
import re
import shutil
import subprocess
import sys

from conftest import CORPUS, ROOT

WEB = {"gradio", "fastapi", "uvicorn", "starlette"}


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=os.environ,
                          timeout=600)


def imported(*rag_args) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `rag ...` under -X importtime: every module the process loaded, at any point, is on stderr."""
    r = run("-X", "importtime", "-m", "rag", *map(str, rag_args))
    return r, set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", r.stderr, re.M))


def test_ingest_ask_and_eval_load_no_web_package(tmp_path):
    store = tmp_path / "store"
    ingest, ingest_mods = imported("ingest", CORPUS, "--store", store, "--exclude-faq")
    assert ingest.returncode == 0, ingest.stderr[-2000:]
    ask, ask_mods = imported("ask", "What is Anthropic accusing Alibaba of?", "--store", store)
    assert ask.returncode == 0 and "Sources:" in ask.stdout, ask.stderr[-2000:]
    evals = tmp_path / "evals"  # the FAQ items only: the whole run, a fraction of the items
    evals.mkdir()
    shutil.copy(ROOT / "evals" / "thresholds.toml", evals)
    ev, eval_mods = imported("eval", "--evals", evals, "--report-dir", tmp_path / "report")
    assert (tmp_path / "report" / "report.json").is_file(), ev.stderr[-2000:]
    for command, mods in (("ingest", ingest_mods), ("ask", ask_mods), ("eval", eval_mods)):
        assert {"chromadb", "rag.embedding", "rag.store"} <= mods, command  # the list is read right
        assert {m.split(".")[0] for m in mods} & WEB == set(), command
    assert "rag.explainer" in ask_mods and "rag.evaluation.runner" in eval_mods
    # The default runtime is ONNX: answering a question loads neither torch (1.4 s, which spaCy's thinc also
    # tries: rag/nlp.py stops that) nor transformers, sentence-transformers or llama-index's embeddings
    # (cold start, issue #14). sys.modules, not -X importtime: a refused import attempt is listed there too.
    heavy = ("torch", "transformers", "sentence_transformers", "llama_index.embeddings")
    code = ("import sys; from rag.cli import main; main(sys.argv[1:]); "
            f"print('loaded:', sorted(m for m in {heavy!r} if sys.modules.get(m)))")
    for args in (["ask", "Who denied it?", "--store", store], ["ingest", CORPUS, "--store", store, "--exclude-faq"]):
        r = run("-c", code, *map(str, args))
        assert r.returncode == 0 and r.stdout.strip().endswith("loaded: []"), (args[0], r.stdout[-300:], r.stderr[-1500:])


def test_serve_without_the_ui_extra_says_how_to_install_it():
    code = "import sys; sys.modules['gradio'] = None; from rag.cli import main; sys.exit(main(['serve']))"
    r = run("-c", code)
    assert r.returncode == 2
    assert r.stderr.strip() == ("error: rag serve needs gradio, which is not installed. "
                                "Install the ui extra with: pip install -e '.[ui]'")
